package dev.shoal.tensor.quant;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Compiles the row-group kernels ({@link GroupWarmUp}) when the test JVM's launcher session opens, before any test
 * has run vector code: C2 compiles those kernels with the profiles of the Vector API methods they share with all
 * code that ran before, and compiled after other tests' vector code they boxed their vectors in some JVMs
 * (DecodeAllocationTest's Q4_0 and Q4_K cases). A node needs no such hook: a model's first forward pass warms its
 * kernels up before any other vector code of the pass ({@code SliceModel}).
 */
public final class GroupKernelsFirst implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        GroupWarmUp.ensure(GgmlType.Q4_0);
        GroupWarmUp.ensure(GgmlType.Q4_K);
    }
}
