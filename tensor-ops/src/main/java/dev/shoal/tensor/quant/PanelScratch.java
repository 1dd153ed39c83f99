package dev.shoal.tensor.quant;

/**
 * One thread's working arrays for a prefill through {@link Int16Panels}: the input panels, their per-block scales
 * and (Q4_K) the per-sub-block sums of {@link Q4_KPanels#layInputSums}, a weight tile of eight rows with its scales
 * and (Q4_K) negated mins, the 64 block sums of a {@link Int16Panels#panel4} call and its 4 × 16 results. Arrays
 * grow to the largest call seen and are then reused, so a prefill allocates only while its shapes are new.
 */
public final class PanelScratch {

    public short[] inputs = new short[0];
    public float[] inputScales = new float[0];
    public float[] inputSums = new float[0];
    public int[] tile = new int[0];
    public float[] tileScales = new float[0];
    public float[] tileMins = new float[0];
    /** Eight 8-int vectors: per row of the four, two halves of 16 inputs as (even, odd) 16-bit lane pairs. */
    public final int[] blockSums = new int[Int16Panels.ROWS * Int16Panels.TOKENS];
    public final float[] results = new float[Int16Panels.ROWS * Int16Panels.TOKENS];

    /** Grows the arrays for {@code count} inputs of {@code cols} columns (a multiple of 32). */
    public void fit(int count, int cols) {
        final int blocks = cols / 32;
        final int panelled = Int16Panels.panels(count) * Int16Panels.TOKENS;
        if (inputs.length < panelled * cols) {
            inputs = new short[panelled * cols];
        }
        if (inputScales.length < panelled * blocks) {
            inputScales = new float[panelled * blocks];
            inputSums = new float[panelled * blocks];
        }
        if (tile.length < Int16Panels.TILE_ROWS * cols / 2) {
            tile = new int[Int16Panels.TILE_ROWS * cols / 2];
            tileScales = new float[Int16Panels.TILE_ROWS * blocks];
            tileMins = new float[Int16Panels.TILE_ROWS * blocks];
        }
    }
}
