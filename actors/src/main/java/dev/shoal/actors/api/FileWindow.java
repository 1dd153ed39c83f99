package dev.shoal.actors.api;

/**
 * A strided run of byte ranges of a model file, as a node that lacks the file asks one that has it for a slice
 * ({@code GET /cluster/model-file?file=NAME&offset=&length=&stride=&count=}): {@code count} ranges of
 * {@code length} bytes, the first at {@code offset}, each next one {@code stride} bytes further. One window covers
 * a matrix slice whatever way it is cut: rows of a row-split matrix are one contiguous range ({@code count} 1), a
 * column-split matrix is one range per row. The answer is the ranges' bytes back to back.
 */
public record FileWindow(long offset, long length, long stride, int count) {

    /** The query parameters, in the order {@link #query()} writes them. */
    public static final java.util.List<String> PARAMS = java.util.List.of("offset", "length", "stride", "count");

    public FileWindow {
        if (offset < 0 || length <= 0 || count <= 0 || (count > 1 && stride < length)) {
            throw new IllegalArgumentException("a file window needs offset >= 0, length > 0, count > 0 and, for more "
                    + "than one range, stride >= length; got offset " + offset + ", length " + length + ", stride "
                    + stride + ", count " + count);
        }
        if (count == 1) {
            stride = length;
        }
        Math.addExact(offset, Math.addExact(Math.multiplyExact(stride, count - 1L), length));
    }

    /** One contiguous range. */
    public static FileWindow range(long offset, long length) {
        return new FileWindow(offset, length, length, 1);
    }

    /** The byte just past the last range. */
    public long end() {
        return offset + stride * (count - 1L) + length;
    }

    /** Bytes the answer carries. */
    public long totalBytes() {
        return length * count;
    }

    /** {@code offset=…&length=…&stride=…&count=…}. */
    public String query() {
        return "offset=" + offset + "&length=" + length + "&stride=" + stride + "&count=" + count;
    }
}
