package dev.shoal.transport.step;

import dev.shoal.tensor.model.StageLink;
import dev.shoal.transport.AeronStageLink;
import org.agrona.CloseHelper;

/**
 * A position's pipeline hand-offs when stage sizes differ: it receives from one rank of the previous stage and
 * sends to every next-stage rank that reads from it ({@link InstanceWiring#handoffTargets}) — zero, one or
 * several. Each direction is a plain point-to-point {@link AeronStageLink}, so sequence checks and timeouts are
 * theirs; sending to several targets is one {@code sendNext} after another (each returns once the frames are in
 * its publication, so a slow target delays the next only by its back pressure).
 */
final class FanOutStageLink implements StageLink, AutoCloseable {

    private final AeronStageLink in; // null on the first stage
    private final AeronStageLink[] out; // one per target, possibly none

    FanOutStageLink(final AeronStageLink in, final AeronStageLink[] out) {
        this.in = in;
        this.out = out.clone();
    }

    @Override
    public void sendNext(final float[] x, final int length) {
        for (final AeronStageLink link : out) {
            link.sendNext(x, length);
        }
    }

    @Override
    public void receivePrevious(final float[] x, final int length) {
        if (in == null) {
            throw new IllegalStateException("first stage: nothing to receive from");
        }
        in.receivePrevious(x, length);
    }

    AeronStageLink in() {
        return in;
    }

    int targets() {
        return out.length;
    }

    AeronStageLink out(final int i) {
        return out[i];
    }

    @Override
    public void close() {
        CloseHelper.quietClose(in);
        CloseHelper.quietCloseAll(out);
    }
}
