package dev.shoal.config;

/**
 * How much memory loaded models may hold ({@code shoal.memory}): model files plus KV caches.
 *
 * @param budgetBytes the budget in bytes (already derived from the machine when {@code auto})
 * @param auto        whether it was {@code auto} (80% of physical RAM minus the JVM's maximum heap)
 */
public record MemorySettings(long budgetBytes, boolean auto) {

    /** The share of physical memory {@code auto} starts from, before the heap is taken off. */
    public static final double AUTO_FRACTION = 0.8;

    static long autoBudget(Machine machine) {
        return (long) (machine.physicalMemoryBytes() * AUTO_FRACTION) - machine.maxHeapBytes();
    }
}
