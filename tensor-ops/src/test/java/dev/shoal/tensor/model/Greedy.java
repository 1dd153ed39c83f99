package dev.shoal.tensor.model;

import java.util.ArrayList;
import java.util.List;

/** Test helper: greedy decoding through any driver of a forward step. */
final class Greedy {

    /** One forward step: logits for {@code token} at {@code pos} (all stages/ranks are driven inside). */
    interface Step {
        float[] forward(int token, int pos);
    }

    /** A greedy run: the tokens chosen, and a copy of the logits each was chosen from. */
    record Trace(List<Integer> tokens, List<float[]> logits) {

        /** How far the chosen token's logit stands above the runner-up's at step {@code i}. */
        float margin(int i) {
            float[] l = logits.get(i);
            int best = tokens.get(i);
            float second = Float.NEGATIVE_INFINITY;
            for (int v = 0; v < l.length; v++) {
                if (v != best && l[v] > second) {
                    second = l[v];
                }
            }
            return l[best] - second;
        }
    }

    private Greedy() {
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Feeds {@code prompt}, then generates {@code n} tokens greedily (no stop). */
    static List<Integer> run(Step step, int[] prompt, int n) {
        return trace(step, prompt, n, null).tokens();
    }

    /** {@link #run}, keeping every step's logits. */
    static Trace trace(Step step, int[] prompt, int n) {
        return trace(step, prompt, n, null);
    }

    /**
     * Feeds {@code prompt}, then {@code forced} one by one whatever this step would have chosen (teacher forcing),
     * so that two implementations can be compared step by step on the same sequence even where a near tie makes
     * their free-running choices part. The trace's tokens are this step's own argmaxes.
     */
    static Trace replay(Step step, int[] prompt, List<Integer> forced) {
        return trace(step, prompt, forced.size(), forced);
    }

    private static Trace trace(Step step, int[] prompt, int n, List<Integer> forced) {
        List<Integer> out = new ArrayList<>();
        List<float[]> kept = new ArrayList<>();
        int pos = 0;
        float[] logits = null;
        for (int t : prompt) {
            logits = step.forward(t, pos++);
        }
        for (int i = 0; i < n; i++) {
            int next = argmax(logits);
            out.add(next);
            kept.add(logits.clone());
            if (i + 1 < n) {
                logits = step.forward(forced == null ? next : forced.get(i), pos++);
            }
        }
        return new Trace(out, kept);
    }
}
