package dev.shoal.sharding;

import dev.shoal.tensor.gguf.TensorInfo;
import dev.shoal.tensor.quant.GgmlType;
import java.util.Objects;

/**
 * A weight matrix's type and size in GGUF layout: {@code columns} (ne0, the input dimension, contiguous in a row, a
 * whole number of quantization blocks) by {@code rows} (ne1, the output features). A tensor-parallel rank keeps
 * either a range of rows (Q/K/V, gate/up, output) — any count — or a range of columns in every row
 * ({@code attn_output}, {@code ffn_down}) — which must start and end on block edges.
 */
public record MatrixShape(GgmlType type, int columns, int rows) {

    public MatrixShape {
        Objects.requireNonNull(type, "type");
        if (columns <= 0 || rows <= 0) {
            throw new IllegalArgumentException("matrix of " + columns + " × " + rows + " is empty");
        }
        if (columns % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + " rows are made of " + type.blockSize()
                    + "-element blocks; a row of " + columns + " columns is not");
        }
    }

    /** A GGUF tensor's shape; a 1-D tensor is one row. */
    public static MatrixShape of(TensorInfo t) {
        if (t.rank() > 2 || t.dim(0) > Integer.MAX_VALUE || t.dim(1) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor " + t + " is not a matrix the planner can place");
        }
        return new MatrixShape(t.type(), (int) t.dim(0), (int) t.dim(1));
    }

    /** Bytes of the whole matrix. */
    public long bytes() {
        return rowBytes(rows);
    }

    /** Bytes of {@code count} whole rows. */
    public long rowBytes(int count) {
        return count * type.bytesFor(columns);
    }

    /** Bytes of {@code count} columns of every row; {@code count} must be a whole number of blocks. */
    public long columnBytes(int count) {
        return rows * type.bytesFor(count);
    }
}
