package dev.shoal.tensor.generate;

import dev.shoal.tensor.sample.GenerationLimits;
import dev.shoal.tensor.sample.SamplingParams;
import java.util.List;

/** One sequence to run in a {@link BatchScheduler}: prompt ids (BOS included when wanted) and how to stop. */
public record SequenceRequest(int[] prompt, SamplingParams sampling, GenerationLimits limits, List<String> stops) {

    public SequenceRequest {
        prompt = prompt.clone();
        stops = List.copyOf(stops);
    }
}
