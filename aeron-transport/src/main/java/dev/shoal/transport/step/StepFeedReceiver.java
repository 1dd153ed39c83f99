package dev.shoal.transport.step;

import dev.shoal.transport.Endpoint;
import io.aeron.Aeron;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import java.util.function.Consumer;
import org.agrona.DirectBuffer;

/**
 * A worker's end of the step feed: the subscription on its {@link InstanceWiring#stepFeed feed endpoint}, read one
 * descriptor at a time into a reused {@link StepDescriptor}. Also tells when the supervisor is gone: once its
 * image has been seen, no live image left means its publication closed or its node stopped sending (the driver
 * drops a silent image after its image liveness timeout). One caller thread; polling allocates nothing.
 */
final class StepFeedReceiver implements AutoCloseable {

    private final Endpoint endpoint;
    private final Subscription subscription;
    private final StepDescriptor descriptor;
    private final FragmentHandler handler = this::onFragment;
    private boolean received;
    private String protocolError;
    private boolean seenSupervisor;
    private final Consumer<Image> countLive = this::countLive;
    private int live;

    StepFeedReceiver(final Aeron aeron, final Endpoint endpoint, final StepDescriptor into) {
        this.endpoint = endpoint;
        this.descriptor = into;
        this.subscription = aeron.addSubscription(endpoint.channel(), endpoint.streamId());
    }

    Endpoint endpoint() {
        return endpoint;
    }

    /**
     * Reads at most one descriptor.
     *
     * @return true when one was read into the descriptor
     * @throws IllegalStateException when the frame was malformed
     */
    boolean poll() {
        received = false;
        subscription.poll(handler, 1);
        if (protocolError != null) {
            final String error = protocolError;
            protocolError = null;
            throw new IllegalStateException("step feed at " + endpoint + ": " + error);
        }
        return received;
    }

    private void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header) {
        protocolError = descriptor.decode(buffer, offset, length);
        received = protocolError == null;
    }

    /** The supervisor's publication has a live image here. */
    boolean isConnected() {
        if (liveImages() > 0) {
            seenSupervisor = true; // from now on, losing it means the supervisor is gone
            return true;
        }
        return false;
    }

    /** True once the supervisor was connected and no live image of it is left. */
    boolean supervisorGone() {
        return !isConnected() && seenSupervisor;
    }

    private int liveImages() {
        live = 0;
        subscription.forEachImage(countLive); // one snapshot of the image array, unlike imageCount + imageAtIndex
        return live;
    }

    private void countLive(final Image image) {
        if (!image.isClosed() && !image.isEndOfStream()) {
            live++;
        }
    }

    @Override
    public void close() {
        subscription.close();
    }
}
