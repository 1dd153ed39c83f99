package dev.shoal.tensor.model;

import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.TensorInfo;
import dev.shoal.tensor.quant.ActivationType;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.quant.GroupWarmUp;
import dev.shoal.tensor.quant.Int16Panels;
import dev.shoal.tensor.quant.PanelScratch;
import dev.shoal.tensor.quant.Q4_0Panels;
import dev.shoal.tensor.quant.Q4_KPanels;
import dev.shoal.tensor.quant.RowGroups;
import dev.shoal.tensor.quant.QuantKernel;
import dev.shoal.tensor.quant.QuantKernels;
import dev.shoal.tensor.quant.QuantizedActivations;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.VectorShape;

/**
 * A rectangular window of a weight matrix in GGUF layout: {@code rows} consecutive rows (output features) starting
 * at {@code rowStart}, and in each row the {@code cols} input columns starting at {@code colStart}. Rows are
 * {@code rowBytes} apart in {@code data}. On a single node the window points into the memory-mapped file; a
 * worker that owns a slice {@link #compact compacts} it into memory of its own.
 *
 * <p>An {@code interleaved} matrix was {@link #interleave repacked} into memory of its own in its type's
 * {@link RowGroups} layout (groups of eight rows, a plain tail; Q4_0 and Q4_K): {@code rowStart} and
 * {@code colStart} are 0 and {@code rowBytes} is a packed row's size, so the tail's row r still sits at
 * {@code r · rowBytes}.
 */
public record Matrix(String name, QuantKernel kernel, MemorySegment data, long rowBytes, int rowStart, int rows,
                     int colStart, int cols, boolean interleaved) {

    public Matrix {
        GgmlType t = kernel.type();
        if (colStart % t.blockSize() != 0 || cols % t.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' of type " + t + ": columns " + colStart + ".."
                    + (colStart + cols) + " do not fall on its " + t.blockSize() + "-element block edges");
        }
        if (interleaved && (RowGroups.forType(t) == null || rowStart != 0 || colStart != 0
                || rowBytes != t.bytesFor(cols))) {
            throw new IllegalArgumentException("tensor '" + name + "': only a packed window of a type with row groups"
                    + " can be interleaved");
        }
    }

    /** A window in plain GGUF layout. */
    public Matrix(String name, QuantKernel kernel, MemorySegment data, long rowBytes, int rowStart, int rows,
                  int colStart, int cols) {
        this(name, kernel, data, rowBytes, rowStart, rows, colStart, cols, false);
    }

    /** Rows {@code [r0, r1)} and columns {@code [c0, c1)} of a GGUF 2-D tensor. */
    public static Matrix of(GgufFile file, String tensorName, int r0, int r1, int c0, int c1) {
        TensorInfo t = file.tensor(tensorName);
        QuantKernel k = QuantKernels.forType(t.type(), tensorName);
        if (t.rank() > 2 || r1 > t.dim(1) || c1 > t.dim(0)) {
            throw new IllegalArgumentException("tensor '" + tensorName + "' " + java.util.Arrays.toString(t.dims())
                    + " has no rows " + r0 + ".." + r1 + " × columns " + c0 + ".." + c1);
        }
        return new Matrix(tensorName, k, file.data(t), t.type().bytesFor(t.dim(0)), r0, r1 - r0, c0, c1 - c0);
    }

    /** The whole tensor. */
    public static Matrix of(GgufFile file, String tensorName) {
        TensorInfo t = file.tensor(tensorName);
        return of(file, tensorName, 0, (int) t.dim(1), 0, (int) t.dim(0));
    }

    /**
     * Byte offset in {@code data} of column {@code colStart} of local row {@code r}: a row in plain layout (in an
     * interleaved matrix, only the tail's).
     */
    public long offsetOf(int r) {
        if (r < groupedRows()) {
            throw new IllegalStateException("row " + r + " of '" + name + "' is interleaved, not a plain row");
        }
        return (rowStart + (long) r) * rowBytes + kernel.type().bytesFor(colStart);
    }

    /** Rows held in groups of {@link RowGroups#ROWS} (0 unless interleaved); the rest are plain. */
    public int groupedRows() {
        return interleaved ? rows - rows % RowGroups.ROWS : 0;
    }

    /** The row-group layout of an interleaved matrix. */
    private RowGroups layout() {
        return RowGroups.forType(kernel.type());
    }

    /** Rows that a split of the row range should keep together: a whole group when interleaved. */
    public int rowGrain() {
        return interleaved ? RowGroups.ROWS : 1;
    }

    /**
     * Whether {@link #interleave} would repack this window (a type with {@link RowGroups}, 256-bit kernels, at least
     * one group of rows).
     */
    public boolean canInterleave() {
        return !interleaved && RowGroups.forType(kernel.type()) != null && rows >= RowGroups.ROWS;
    }

    /**
     * This window repacked into {@code arena}'s memory in its type's {@link RowGroups} layout, the same size as
     * {@link #compact}: decode then keeps one row per vector lane. Windows that {@link #canInterleave cannot} come
     * back as they are.
     */
    public Matrix interleave(Arena arena) {
        if (!canInterleave()) {
            return this;
        }
        GroupWarmUp.ensure(kernel.type());
        final long packedRow = kernel.type().bytesFor(cols);
        final MemorySegment own = arena.allocate(packedRow * rows, 64);
        RowGroups.forType(kernel.type()).pack(data, offsetOf(0), rowBytes, rows, cols, own, 0);
        return new Matrix(name, kernel, own, packedRow, 0, rows, 0, cols, true);
    }

    /** {@code out[outOff + r] = row r · x[xOff, xOff + cols)} for local rows {@code [r0, r1)}. */
    public void multiply(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        final QuantKernel k = kernel;
        final MemorySegment d = data;
        final int n = cols;
        for (int r = r0; r < r1; r++) {
            out[outOff + r] = r < groupedRows() ? groupedRowDot(r, x, xOff) : k.dot(d, offsetOf(r), x, xOff, n);
        }
    }

    /** Row r of an interleaved group · float input: decoded to this thread's scratch, then a float dot. */
    private float groupedRowDot(int r, float[] x, int xOff) {
        final float[] row = scratch(SCRATCH, cols);
        row(r, row, 0);
        return Ops.dot(row, 0, x, xOff, cols);
    }

    /**
     * For each local row in {@code [r0, r1)} and each of {@code n} inputs: {@code out[b * outStride + r] =
     * row r · x[b * xStride, b * xStride + cols)}. Rows are the outer loop so each row is read from memory once
     * for the whole batch (it stays in cache across the {@code n} dot products).
     */
    public void multiplyBatch(float[] x, int xStride, float[] out, int outStride, int n, int r0, int r1) {
        final QuantKernel k = kernel;
        final MemorySegment d = data;
        final int c = cols;
        if (n < DEQUANTIZE_FROM_BATCH && !interleaved) {
            for (int r = r0; r < r1; r++) {
                long off = offsetOf(r);
                for (int b = 0; b < n; b++) {
                    out[b * outStride + r] = k.dot(d, off, x, b * xStride, c);
                }
            }
            return;
        }
        // Several inputs: unpack each row once to floats, then n float dot products from L1.
        float[] row = scratch(SCRATCH, c);
        for (int r = r0; r < r1; r++) {
            if (r < groupedRows()) {
                row(r, row, 0);
            } else {
                k.dequantizeVector(d, offsetOf(r), row, 0, c);
            }
            for (int b = 0; b < n; b++) {
                out[b * outStride + r] = Ops.dot(row, 0, x, b * xStride, c);
            }
        }
    }

    /** From this many inputs on, dequantizing a row once beats n quantized dot products. */
    private static final int DEQUANTIZE_FROM_BATCH = 12;

    /**
     * For each local row in {@code [r0, r1)} and each of {@code n} inputs of {@code a}:
     * {@code out[b * outStride + r] = row r · input b}. {@code a} is in this matrix's
     * {@link QuantKernel#activationType()} (or F32, then the float kernels run).
     *
     * <p>Few inputs (decode): each row streams from memory once and meets every input in the kernel's own dot;
     * with one input, rows are taken four at a time from the four quarters of the range
     * ({@link QuantKernel#dotQuantized4}), so four sequential memory streams are in flight; an interleaved matrix
     * takes each input through its {@link RowGroups} kernel, eight rows per group. Many inputs (prefill): see
     * {@link #multiplyTiled}, and {@link #multiplyPanels16} for Q4_0 and Q4_K on AVX2.
     */
    public void multiplyBatch(QuantizedActivations a, float[] out, int outStride, int n, int r0, int r1) {
        multiplyBatch(a, out, outStride, n, r0, r1, true);
    }

    /**
     * Whether a prefill of {@code n} inputs in {@code a}'s form would take the 16-bit integer panels
     * ({@link #multiplyPanels16}) when allowed to.
     */
    public boolean prefillsInIntegers(ActivationType a, int n) {
        final GgmlType t = kernel.type();
        return n >= TILE_FROM_BATCH && !WIDE_TILES && 4 * n >= 3 * Ops.PANEL_TOKENS && Int16Panels.supported()
                && (t == GgmlType.Q4_0 && a == ActivationType.Q8_0 || t == GgmlType.Q4_K && a == ActivationType.Q8_K);
    }

    /**
     * As {@link #multiplyBatch(QuantizedActivations, float[], int, int, int, int)}; {@code oneThread} says whether
     * this call runs alone (a pool of one worker). Only then does a prefill take the 16-bit integer panels where
     * they apply ({@link #prefillsInIntegers}) and the float panels over interleaved rows ({@link Ops#panel4x2}):
     * both are faster on one thread of the anchor machine and slower on two at once (see {@link Ops#panel4x2Rows}),
     * so calls that share the work keep the float panels over rows where they lie.
     */
    public void multiplyBatch(QuantizedActivations a, float[] out, int outStride, int n, int r0, int r1,
                              boolean oneThread) {
        multiplyBatch(a, out, outStride, n, r0, r1, oneThread, null);
    }

    /**
     * Whether {@link #multiplyBatch(QuantizedActivations, float[], int, int, int, int, boolean, float[])} of
     * {@code n} inputs in form {@code a} reads them laid out in panels ({@link Ops#transposeInputs}), so that a
     * caller splitting the rows over threads can lay them out once for all ({@link #panelFloats}).
     */
    public boolean readsPanels(ActivationType a, int n, boolean oneThread) {
        return n >= TILE_FROM_BATCH && a != ActivationType.Q8_1 && panelsFor(n)
                && !(oneThread && prefillsInIntegers(a, n));
    }

    /** Floats {@link Ops#transposeInputs} writes for {@code n} inputs of {@code cols} columns. */
    public static int panelFloats(int n, int cols) {
        return panelCount(n) * Ops.PANEL_TOKENS * cols;
    }

    /** Panels {@code n} inputs fill, the last one perhaps in part. */
    private static int panelCount(int n) {
        return (n + Ops.PANEL_TOKENS - 1) / Ops.PANEL_TOKENS;
    }

    /** Whether a tiled product of {@code n} inputs takes the panels (AVX2 and narrower) rather than row dots. */
    private static boolean panelsFor(int n) {
        return !WIDE_TILES && 4 * n >= 3 * Ops.PANEL_TOKENS;
    }

    /**
     * As {@link #multiplyBatch(QuantizedActivations, float[], int, int, int, int, boolean)}, with {@code panels}
     * the inputs of {@code a} already laid out by {@link Ops#transposeInputs} when {@link #readsPanels} says they
     * are read so (null: this call lays them out in its own thread's scratch). Threads that share one matmul's
     * rows then share one layout, instead of each laying out every input for its own rows.
     */
    public void multiplyBatch(QuantizedActivations a, float[] out, int outStride, int n, int r0, int r1,
                              boolean oneThread, float[] panels) {
        // Q8_1 (Q4_1/Q5_1 weights) multiplies the weights' offset m by the block's stored, f16-rounded s = d·Σq,
        // which a tile of dequantized weights times q·d cannot reproduce: those types keep the per-row dots
        if (n >= TILE_FROM_BATCH && a.type() != ActivationType.Q8_1) {
            if (oneThread && prefillsInIntegers(a.type(), n)) {
                multiplyPanels16(a, out, outStride, n, r0, r1);
                return;
            }
            multiplyTiled(a, out, outStride, n, r0, r1, oneThread, panels);
            return;
        }
        final QuantKernel k = kernel;
        final MemorySegment d = data;
        final int c = cols;
        if (interleaved && a.type() == k.activationType() && a.hasBroadcastPairs(n - 1)) {
            for (int b = 0; b < n; b++) {
                multiplyInterleaved(a, b, out, b * outStride, r0, r1);
            }
            return;
        }
        // one input in the kernel's own activation form (for F16/BF16/F32 weights that is F32): four rows at a time
        if (n == 1 && a.type() == k.activationType()) {
            multiplyOne(a, out, r0, r1);
            return;
        }
        if (a.type() == ActivationType.F32 || interleaved) {
            final float[] x = a.type() == ActivationType.F32 ? a.values() : a.dequantizedValues();
            for (int r = r0; r < r1; r++) {
                if (r < groupedRows()) {
                    for (int b = 0; b < n; b++) {
                        out[b * outStride + r] = groupedRowDot(r, x, a.offset(b));
                    }
                    continue;
                }
                final long off = offsetOf(r);
                for (int b = 0; b < n; b++) {
                    out[b * outStride + r] = k.dot(d, off, x, a.offset(b), c);
                }
            }
            return;
        }
        for (int r = r0; r < r1; r++) {
            final long off = offsetOf(r);
            for (int b = 0; b < n; b++) {
                out[b * outStride + r] = k.dotQuantized(d, off, a, b, c);
            }
        }
    }

    /**
     * {@code out[outOff + r] = row r · input b} for rows {@code [r0, r1)} of an interleaved matrix: whole groups in
     * the group kernel, rows of a group cut by the range edge and the plain tail one by one, in the same arithmetic
     * (a row's value does not depend on how the range was split).
     */
    private void multiplyInterleaved(QuantizedActivations a, int b, float[] out, int outOff, int r0, int r1) {
        final RowGroups l = layout();
        final int grouped = groupedRows();
        final int g = RowGroups.ROWS;
        final int g0 = Math.min((r0 + g - 1) / g, grouped / g);
        final int g1 = Math.max(g0, Math.min(r1, grouped) / g);
        for (int r = r0; r < Math.min(r1, g * g0); r++) {
            out[outOff + r] = l.dotRow(data, l.groupOffset(r / g, cols), r % g, a, b, cols);
        }
        if (g1 > g0) {
            l.dotGroups(data, 0, a, b, cols, g0, g1, out, outOff + g * g0);
        }
        for (int r = Math.max(r0, g * g1); r < r1; r++) {
            out[outOff + r] = r < grouped
                    ? l.dotRow(data, l.groupOffset(r / g, cols), r % g, a, b, cols)
                    : l.dotPlainRow(data, offsetOf(r), a, b, cols);
        }
    }

    /** Decode: rows four at a time from the four quarters of {@code [r0, r1)}, then the remainder one by one. */
    private void multiplyOne(QuantizedActivations a, float[] out, int r0, int r1) {
        final QuantKernel k = kernel;
        final MemorySegment d = data;
        final int c = cols;
        final int quarter = (r1 - r0) / 4;
        final long stride = quarter * rowBytes;
        for (int r = r0; r < r0 + quarter; r++) {
            k.dotQuantized4(d, offsetOf(r), stride, a, 0, c, out, r, quarter);
        }
        for (int r = r0 + 4 * quarter; r < r1; r++) {
            out[r] = k.dotQuantized(d, offsetOf(r), a, 0, c);
        }
    }

    /** From this many inputs on, {@link #multiplyBatch} decodes weight tiles once and reuses them. */
    static final int TILE_FROM_BATCH = 4;

    /**
     * Prefill: rows are decoded {@link #TILE_ROWS} at a time into a float tile (this thread's scratch, in L1/L2),
     * then every four inputs meet four rows of the tile through {@link Ops#dot4x4} (on 512-bit vectors, see
     * {@link #WIDE_TILES}), which loads each input vector once per four rows and each row vector once per four
     * inputs; the rest go in pairs ({@link Ops#dot4x2}, each row vector once per two inputs) and alone. On
     * narrower vectors, from 12 inputs on, the inputs are laid out in column-major panels
     * ({@link Ops#transposeInputs}: by the caller once for all threads, or here per call) and every four tile
     * rows meet each panel as an outer product ({@link Ops#panel4x2}). The weights stream from memory once per
     * call, whatever {@code n} is. Inputs are the quantized activations' values q·d (or the floats for F32), so the
     * result is the quantized-activation product up to float rounding; the multiply-adds run as float FMAs, 8-16
     * per instruction, where the Vector API offers no int8 dot-product instruction to do better.
     */
    private void multiplyTiled(QuantizedActivations a, float[] out, int outStride, int n, int r0, int r1,
                               boolean interleave, float[] laidOut) {
        final QuantKernel k = kernel;
        final MemorySegment d = data;
        final int c = cols;
        final float[] x = a.dequantizedValues();
        final float[] tile = scratch(SCRATCH, TILE_ROWS * c);
        final int xStride = n > 1 ? a.offset(1) - a.offset(0) : 0;
        final boolean panels = panelsFor(n);
        final float[] xt;
        final int panelCount;
        if (!panels) {
            xt = null;
            panelCount = 0;
        } else if (laidOut != null) {
            xt = laidOut;
            panelCount = panelCount(n);
        } else {
            xt = scratch(PANEL_SCRATCH, panelFloats(n, c));
            panelCount = Ops.transposeInputs(x, a.offset(0), xStride, n, c, xt);
        }
        final float[] tmp = panels ? PANEL_OUT.get() : null;
        final float[] quad = panels && interleave ? scratch(PANEL_QUAD, 4 * c) : null;
        for (int t0 = r0; t0 < r1; t0 += TILE_ROWS) {
            final int rows = Math.min(TILE_ROWS, r1 - t0);
            for (int i = 0; i < rows; i++) {
                final int r = t0 + i;
                final int g = RowGroups.ROWS;
                if (r < groupedRows() && r % g == 0 && i + g <= rows) {
                    layout().dequantizeGroup(d, layout().groupOffset(r / g, c), c, tile, i * c, c);
                    i += g - 1;
                } else if (r < groupedRows()) {
                    row(r, tile, i * c);
                } else {
                    k.dequantizeVector(d, offsetOf(r), tile, i * c, c);
                }
            }
            // four rows (32 KiB at 2048 columns: L1) meet every input before the next four; with panels a tile's
            // last one to three rows run as a four too (the tile scratch holds 16 rows; the rest is not written
            // out), so every row of a panelled product takes the same arithmetic, with no float reduction whose
            // order differs between the interpreter and C2
            int i = 0;
            for (; panels && i < rows; i += 4) {
                final int four = Math.min(4, rows - i);
                if (interleave) {
                    Ops.interleave4(tile, i * c, c, c, quad);
                    for (int j = 0; j < panelCount; j++) {
                        final int first = j * Ops.PANEL_TOKENS;
                        Ops.panel4x2(quad, xt, first * c, c, out, t0 + i, outStride, first,
                                Math.min(Ops.PANEL_TOKENS, n - first), four, tmp);
                    }
                } else {
                    for (int j = 0; j < panelCount; j++) {
                        final int first = j * Ops.PANEL_TOKENS;
                        Ops.panel4x2Rows(tile, i * c, c, xt, first * c, c, out, t0 + i, outStride, first,
                                Math.min(Ops.PANEL_TOKENS, n - first), four, tmp);
                    }
                }
            }
            for (; i + 4 <= rows; i += 4) {
                int b = 0;
                if (WIDE_TILES) {
                    for (; b + 4 <= n; b += 4) {
                        Ops.dot4x4(tile, i * c, c, x, a.offset(b), xStride, c, out, b * outStride + t0 + i, outStride);
                    }
                }
                for (; b + 2 <= n; b += 2) {
                    Ops.dot4x2(tile, i * c, c, x, a.offset(b), a.offset(b + 1), c, out, b * outStride + t0 + i,
                            (b + 1) * outStride + t0 + i);
                }
                if (b < n) {
                    Ops.dot4(tile, i * c, c, x, a.offset(b), c, out, b * outStride + t0 + i);
                }
            }
            for (; i < rows; i++) {
                for (int b = 0; b < n; b++) {
                    out[b * outStride + t0 + i] = Ops.dot(tile, i * c, x, a.offset(b), c);
                }
            }
        }
    }

    /**
     * Prefill of Q4_0 and Q4_K weights on 256-bit vectors without 512-bit tiles (AVX2): the block dots in 16-bit
     * integers ({@link Int16Panels}). Rows go eight at a time into an integer tile ({@link Q4_0Panels},
     * {@link Q4_KPanels}: a repacked group in vectors, other rows one by one), and every four tile rows meet each
     * panel of 16 inputs before the next four; Q4_K's mins come off in a pass of their own per panel.
     */
    private void multiplyPanels16(QuantizedActivations a, float[] out, int outStride, int n, int r0, int r1) {
        final MemorySegment d = data;
        final int c = cols;
        final int blocks = c / 32;
        final boolean k4 = kernel.type() == GgmlType.Q4_K;
        final PanelScratch w = PANELS16.get();
        w.fit(n, c);
        final short[] xi = w.inputs;
        final float[] dx = w.inputScales;
        final int panelCount = Int16Panels.layInputs(a, n, c, xi, dx);
        final float[] xSums = w.inputSums;
        if (k4) {
            Q4_KPanels.layInputSums(a, n, c, xSums);
        }
        final int[] tile = w.tile;
        final float[] scales = w.tileScales;
        final float[] negMins = w.tileMins;
        final int[] sums = w.blockSums;
        final float[] acc = w.results;
        final int g = RowGroups.ROWS;
        for (int t0 = r0; t0 < r1; t0 += Int16Panels.TILE_ROWS) {
            final int rows = Math.min(Int16Panels.TILE_ROWS, r1 - t0);
            if (t0 < groupedRows() && t0 % g == 0 && rows == g) {
                final long at = layout().groupOffset(t0 / g, c);
                if (k4) {
                    Q4_KPanels.tileGroup(d, at, c, tile, scales, negMins);
                } else {
                    Q4_0Panels.tileGroup(d, at, c, tile, scales);
                }
            } else {
                for (int i = 0; i < rows; i++) {
                    final int r = t0 + i;
                    if (r < groupedRows() && k4) {
                        Q4_KPanels.tileGroupRow(d, layout().groupOffset(r / g, c), r % g, c, tile, scales, negMins, i);
                    } else if (r < groupedRows()) {
                        Q4_0Panels.tileGroupRow(d, layout().groupOffset(r / g, c), r % g, c, tile, scales, i);
                    } else if (k4) {
                        Q4_KPanels.tilePlainRow(d, offsetOf(r), c, tile, scales, negMins, i);
                    } else {
                        Q4_0Panels.tilePlainRow(d, offsetOf(r), c, tile, scales, i);
                    }
                }
            }
            for (int i = 0; i < rows; i += Int16Panels.ROWS) {
                final int valid = Math.min(Int16Panels.ROWS, rows - i);
                for (int j = 0; j < panelCount; j++) {
                    Int16Panels.panel4(tile, scales, i, xi, dx, j, blocks, sums, acc);
                    if (k4) {
                        Q4_KPanels.minsPass(negMins, i, xSums, j, blocks, acc);
                    }
                    final int first = j * Int16Panels.TOKENS;
                    final int tokens = Math.min(Int16Panels.TOKENS, n - first);
                    for (int t = 0; t < tokens; t++) {
                        final int o = (first + t) * outStride + t0 + i;
                        for (int r = 0; r < valid; r++) {
                            out[o + r] = acc[r * Int16Panels.TOKENS + t];
                        }
                    }
                }
            }
        }
    }

    /**
     * Four inputs per pass over four tile rows where the CPU has 32 vector registers, that is on AVX-512 (16
     * accumulators, four row and four input vectors). At 512 bits: 78 → 93 GFLOP/s on one core against 4×2 from L1,
     * 70 → 91 with 8192 columns ({@code TileSpeedCheck}); 1B prefill F16 28 → 33–42 tok/s, Q8_0 28 → 35. At the
     * 256 bits that AVX-512 machines now run ({@code Lanes.floatSpecies}), C2 has the EVEX registers 16-31 too, and
     * 4×4 beat the panels: 1B Q4_0 prefill on one Zen 4 core 27.4–28.1 → 30.2–34.2 tok/s (32-token chunks).
     * AVX2's 16 registers cannot hold 4×4's accumulators (the Q8_0 prefill ran at 9.8 tok/s with no allocation in
     * the compiled kernel, so most likely spills), and a 4×3 tile measured no better than pairs (Q8_0 prefill
     * 23.6–23.8 against 24.2–27.0 tok/s on one thread, 36.6–37.1 against 37.6–40.5 on two, alternating runs): there
     * the panels run. A JVM started with {@code -XX:UseAVX=2} on an AVX-512 CPU prefers 256-bit vectors and gets
     * the AVX2 path, as it should. NEON's 32 registers would suit 4×4 as well; not measured, so it keeps panels.
     */
    private static final boolean WIDE_TILES = QuantKernels.floatSpecies().vectorBitSize() >= 512
            || VectorShape.preferredShape().vectorBitSize() >= 512;

    /** Rows per decoded tile: 16 rows of 2048 floats is 128 KiB, 16 of 8192 is 512 KiB, both L2-resident. */
    static final int TILE_ROWS = 16;

    /** This thread's decoded tile. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);
    /** This thread's inputs laid out in panels ({@link Ops#transposeInputs}). */
    private static final ThreadLocal<float[]> PANEL_SCRATCH = ThreadLocal.withInitial(() -> new float[0]);
    /** This thread's four tile rows interleaved for {@link Ops#panel4x2}. */
    private static final ThreadLocal<float[]> PANEL_QUAD = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> PANEL_OUT =
            ThreadLocal.withInitial(() -> new float[Ops.PANEL_ROWS * Ops.PANEL_TOKENS]);

    /** This thread's working arrays for {@link #multiplyPanels16}. */
    private static final ThreadLocal<PanelScratch> PANELS16 = ThreadLocal.withInitial(PanelScratch::new);

    /** This thread's buffer in {@code buffer}, grown to at least {@code n} floats (once per size, not per call). */
    private static float[] scratch(ThreadLocal<float[]> buffer, int n) {
        float[] s = buffer.get();
        if (s.length < n) {
            s = new float[n];
            buffer.set(s);
        }
        return s;
    }

    /** Dequantizes local row {@code r} into {@code dst[off, off + cols)}. */
    public void row(int r, float[] dst, int off) {
        if (r < groupedRows()) {
            final RowGroups l = layout();
            l.dequantizeRow(data, l.groupOffset(r / RowGroups.ROWS, cols), r % RowGroups.ROWS, cols, dst, off);
            return;
        }
        kernel.dequantize(data, offsetOf(r), dst, off, cols);
    }

    /** Bytes this window occupies. */
    public long byteSize() {
        return (long) rows * kernel.type().bytesFor(cols);
    }

    /** The same window computed by another kernel of the same type (tests use the scalar reference). */
    public Matrix withKernel(QuantKernel k) {
        if (k.type() != kernel.type()) {
            throw new IllegalArgumentException("kernel for " + k.type() + " cannot read " + kernel.type());
        }
        return new Matrix(name, k, data, rowBytes, rowStart, rows, colStart, cols, interleaved);
    }

    /** Copies the window into {@code arena}'s memory, rows packed, so it no longer refers to the file. */
    public Matrix compact(Arena arena) {
        long packedRow = kernel.type().bytesFor(cols);
        MemorySegment own = arena.allocate(packedRow * rows, 64);
        if (interleaved) {
            MemorySegment.copy(data, 0, own, 0, packedRow * rows);
            return new Matrix(name, kernel, own, packedRow, 0, rows, 0, cols, true);
        }
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(data, offsetOf(r), own, r * packedRow, packedRow);
        }
        return new Matrix(name, kernel, own, packedRow, 0, rows, 0, cols);
    }
}
