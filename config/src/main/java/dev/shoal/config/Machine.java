package dev.shoal.config;

import java.lang.management.ManagementFactory;

/**
 * What the {@code auto} settings are derived from: physical memory (the container's limit when there is one, as
 * the JDK reports it), the JVM's maximum heap, and the processors the JVM may use.
 */
public record Machine(long physicalMemoryBytes, long maxHeapBytes, int processors) {

    public static Machine current() {
        long physical = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        Runtime rt = Runtime.getRuntime();
        return new Machine(physical, rt.maxMemory(), rt.availableProcessors());
    }
}
