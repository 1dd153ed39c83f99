package dev.shoal.sharding;

import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.quant.GgmlType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How {@code n} tensor-parallel ranks split a model, and when they cannot. The split is the engine's own
 * ({@link Slice#tensorPart}): near-equal whole KV-head groups, FFN columns in whole {@code ffn_down} blocks,
 * vocabulary rows. Rank {@code r}'s {@code attn_output} columns are its query heads' —
 * {@code kvHeads_r × heads/kvHeads × headDim} of them — and must start on a block edge of that tensor's type, or
 * the engine could not read its part of every row (this is where quantized small models fail, e.g. a Q4_K
 * {@code attn_output} with 128 columns per KV-head group split in two).
 */
final class TensorSplit {

    private TensorSplit() {
    }

    /** Why {@code ranks} ranks cannot split {@code model}, or empty when they can. */
    static Optional<String> whyNot(ModelShape model, int ranks) {
        if (ranks > model.kvHeads()) {
            return Optional.of(model.name() + " has " + model.kvHeads() + " KV heads; " + ranks
                    + " ranks would leave a rank without one");
        }
        GgmlType down = model.ffnDownType();
        int blocks = model.ffnDim() / down.blockSize();
        if (blocks < ranks) {
            return Optional.of(down + " blocks are " + down.blockSize() + " wide; ffn_down's " + model.ffnDim()
                    + " columns make " + blocks + " blocks, too few for " + ranks + " ranks");
        }
        if (model.vocab() < ranks) {
            return Optional.of(model.name() + " has " + model.vocab() + " vocabulary rows, too few for " + ranks
                    + " ranks");
        }
        GgmlType wo = model.attnOutputType();
        int columnsPerKvHead = model.queriesPerKvHead() * model.headDim();
        for (Slice part : parts(model, ranks)) {
            int column = part.kvHeadStart() * columnsPerKvHead;
            if (column % wo.blockSize() != 0) {
                return Optional.of(wo + " blocks are " + wo.blockSize() + " wide; " + ranks
                        + " ranks would split attn_output at column " + column);
            }
        }
        return Optional.empty();
    }

    /** The ranks' parts of the whole model (all layers); call only when {@link #whyNot} is empty. */
    static List<Slice> parts(ModelShape model, int ranks) {
        Slice whole = model.wholeSlice();
        int block = model.ffnDownType().blockSize();
        List<Slice> parts = new ArrayList<>(ranks);
        for (int r = 0; r < ranks; r++) {
            parts.add(whole.tensorPart(r, ranks, block));
        }
        return parts;
    }

    /**
     * Why a pinned slice's cuts cannot be loaded, or empty: its {@code attn_output} and {@code ffn_down} column ranges
     * must begin and end on block edges.
     */
    static Optional<String> whyNotLoadable(ModelShape model, NodeId node, Slice slice) {
        GgmlType wo = model.attnOutputType();
        int columnsPerKvHead = model.queriesPerKvHead() * model.headDim();
        int q0 = slice.kvHeadStart() * columnsPerKvHead;
        int q1 = slice.kvHeadEnd() * columnsPerKvHead;
        if (q0 % wo.blockSize() != 0 || q1 % wo.blockSize() != 0) {
            return Optional.of("node " + node + "'s attn_output columns " + q0 + ".." + q1 + " do not fall on "
                    + wo + " block edges (" + wo.blockSize() + " wide)");
        }
        GgmlType down = model.ffnDownType();
        if (slice.ffnStart() % down.blockSize() != 0 || slice.ffnEnd() % down.blockSize() != 0) {
            return Optional.of("node " + node + "'s ffn_down columns " + slice.ffnStart() + ".." + slice.ffnEnd()
                    + " do not fall on " + down + " block edges (" + down.blockSize() + " wide)");
        }
        return Optional.empty();
    }
}
