package dev.shoal.tensor.model;

import java.util.ArrayList;
import java.util.List;

/** Test helper: greedy decoding through any driver of a forward step. */
final class Greedy {

    /** One forward step: logits for {@code token} at {@code pos} (all stages/ranks are driven inside). */
    interface Step {
        float[] forward(int token, int pos);
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
        List<Integer> out = new ArrayList<>();
        int pos = 0;
        float[] logits = null;
        for (int t : prompt) {
            logits = step.forward(t, pos++);
        }
        for (int i = 0; i < n; i++) {
            int next = argmax(logits);
            out.add(next);
            if (i + 1 < n) {
                logits = step.forward(next, pos++);
            }
        }
        return out;
    }
}
