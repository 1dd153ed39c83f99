package dev.shoal.tensor.generate;

import dev.shoal.tensor.sample.GenerationLimits;
import dev.shoal.tensor.sample.SamplingParams;
import java.util.List;

/**
 * One sequence to run in a {@link BatchScheduler}: prompt ids (BOS included when wanted) and how to stop.
 *
 * @param resumed how many ids at the end of {@code prompt} are output this sequence already produced elsewhere (a
 *                generation continued on a new placement): their text was sent, so it primes the text decoder and
 *                stop-string matcher instead of being emitted — a token's leading space, a character split across
 *                tokens and text held back for a possible stop string come out as if the sequence had never moved
 */
public record SequenceRequest(int[] prompt, SamplingParams sampling, GenerationLimits limits, List<String> stops,
                              int resumed) {

    public SequenceRequest {
        prompt = prompt.clone();
        stops = List.copyOf(stops);
        if (resumed < 0 || resumed >= Math.max(1, prompt.length)) {
            throw new IllegalArgumentException("resumed " + resumed + " of a prompt of " + prompt.length + " ids");
        }
    }

    public SequenceRequest(int[] prompt, SamplingParams sampling, GenerationLimits limits, List<String> stops) {
        this(prompt, sampling, limits, stops, 0);
    }
}
