package dev.shoal.sharding;

import java.util.List;

/**
 * Cuts {@code [0, layers)} into one contiguous, non-empty range per unit (a pipeline stage: one node, or a
 * tensor-parallel group of nodes), sized by free memory.
 *
 * <p>"Proportional to free memory" is made exact in two passes of a small dynamic programme over boundaries
 * (units × layers² steps, at most a few hundred thousand for a 4-stage 80-layer model):
 * <ol>
 *   <li>minimise the largest utilisation (need ÷ free) of any node — if even that is above 1, nothing fits, and the
 *       split found names the node that overflows least badly;</li>
 *   <li>among splits that keep every node at or below that utilisation, minimise Σ need² ÷ free, which for a fixed
 *       total is smallest when each node's need is proportional to its free memory.</li>
 * </ol>
 * Fixed costs (the embedding on the first stage, the output projection on the last, the per-node overhead) are part
 * of each node's need, so the stage that carries them gets fewer layers. Ties go to the earliest boundary, so the
 * result depends only on the input.
 */
final class LayerSplitter {

    /** A node in a unit, with the memory model of its tensor part. */
    record Member(NodeCapability node, RankMemory memory) {
    }

    private LayerSplitter() {
    }

    /**
     * Boundaries {@code b[0] = 0 < b[1] < … < b[units] = layers}; unit {@code i} holds {@code [b[i], b[i+1])}.
     * Requires {@code units.size() <= layers}. The split may not fit: check {@link #utilization} ≤ 1.
     */
    static int[] split(List<List<Member>> units, int layers) {
        int k = units.size();
        if (k == 0 || k > layers) {
            throw new IllegalArgumentException(k + " units cannot split " + layers + " layers");
        }
        // pass 1: best[i][l] = least possible largest utilisation when units [0, i) hold layers [0, l)
        double[][] best = filled(k + 1, layers + 1);
        int[][] from = unset(k + 1, layers + 1);
        best[0][0] = 0;
        from[0][0] = 0;
        for (int i = 1; i <= k; i++) {
            List<Member> unit = units.get(i - 1);
            for (int l = i; l <= layers - (k - i); l++) {
                for (int a = i - 1; a < l; a++) {
                    if (from[i - 1][a] < 0) {
                        continue;
                    }
                    double u = Math.max(best[i - 1][a], utilization(unit, a, l));
                    if (from[i][l] < 0 || u < best[i][l]) {
                        best[i][l] = u;
                        from[i][l] = a;
                    }
                }
            }
        }
        double bottleneck = best[k][layers];
        if (!(bottleneck <= 1)) {
            return bounds(from, k, layers);
        }
        // pass 2: the most proportional split that keeps every node at or below the bottleneck
        double[][] spread = filled(k + 1, layers + 1);
        int[][] via = unset(k + 1, layers + 1);
        spread[0][0] = 0;
        via[0][0] = 0;
        for (int i = 1; i <= k; i++) {
            List<Member> unit = units.get(i - 1);
            for (int l = i; l <= layers - (k - i); l++) {
                for (int a = i - 1; a < l; a++) {
                    if (via[i - 1][a] < 0 || utilization(unit, a, l) > bottleneck) {
                        continue;
                    }
                    double s = spread[i - 1][a] + squares(unit, a, l);
                    if (via[i][l] < 0 || s < spread[i][l]) {
                        spread[i][l] = s;
                        via[i][l] = a;
                    }
                }
            }
        }
        return bounds(via, k, layers);
    }

    /** The largest need ÷ free of the unit's members for layers {@code [a, b)}; infinite for a node with 0 free. */
    static double utilization(List<Member> unit, int a, int b) {
        double worst = 0;
        for (Member m : unit) {
            worst = Math.max(worst, m.memory().total(a, b) / (double) m.node().freeBytes());
        }
        return worst;
    }

    private static double squares(List<Member> unit, int a, int b) {
        double sum = 0;
        for (Member m : unit) {
            double need = m.memory().total(a, b);
            sum += need * need / m.node().freeBytes();
        }
        return sum;
    }

    private static int[] bounds(int[][] from, int k, int layers) {
        int[] b = new int[k + 1];
        b[k] = layers;
        for (int i = k; i > 0; i--) {
            b[i - 1] = from[i][b[i]];
        }
        return b;
    }

    private static double[][] filled(int rows, int columns) {
        double[][] a = new double[rows][columns];
        for (double[] row : a) {
            java.util.Arrays.fill(row, Double.POSITIVE_INFINITY);
        }
        return a;
    }

    private static int[][] unset(int rows, int columns) {
        int[][] a = new int[rows][columns];
        for (int[] row : a) {
            java.util.Arrays.fill(row, -1);
        }
        return a;
    }
}
