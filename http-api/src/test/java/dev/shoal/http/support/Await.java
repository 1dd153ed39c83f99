package dev.shoal.http.support;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition that another thread will make true. */
public final class Await {

    private Await() {
    }

    public static void until(BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what.get());
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
