package dev.shoal.tensor.gguf;

import dev.shoal.tensor.quant.GgmlType;
import java.util.Arrays;

/**
 * A tensor's directory entry. {@code dims} are in GGUF order: {@code dims[0]} (ne0) is the contiguous row
 * length — for a weight matrix, the input dimension — and {@code dims[1]} the number of rows (outputs).
 * {@code offset} is relative to the start of the data section; {@code byteSize} is what the data occupies.
 */
public record TensorInfo(String name, GgmlType type, long[] dims, long offset, long byteSize) {

    public TensorInfo {
        dims = dims.clone();
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public long dim(int i) {
        return i < dims.length ? dims[i] : 1;
    }

    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && type == t.type && Arrays.equals(dims, t.dims)
                && offset == t.offset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims);
    }
}
