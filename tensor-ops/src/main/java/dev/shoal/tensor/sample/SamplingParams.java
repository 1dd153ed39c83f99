package dev.shoal.tensor.sample;

/**
 * How one sequence picks its next tokens. Each knob has an "off" value, so a request can set only what it uses.
 *
 * <ul>
 *   <li>{@code temperature}: 0 means greedy (argmax, ties to the lowest id); otherwise logits are divided by it
 *       just before the final draw, after truncation (llama.cpp order, see {@link Sampler}). Range [0, 100].</li>
 *   <li>{@code topK}: keep the k most likely tokens; 0 = off.</li>
 *   <li>{@code topP}: keep the smallest set of most likely tokens whose probability reaches p; 1 = off.
 *       Range (0, 1].</li>
 *   <li>{@code minP}: drop tokens whose probability is below {@code minP} times the most likely one's; 0 = off.
 *       Range [0, 1].</li>
 *   <li>{@code repetitionPenalty}: llama.cpp semantics over the last {@code penaltyLastN} tokens: a seen token's
 *       logit is divided by it when positive and multiplied by it otherwise; 1 = off. Must be &gt; 0.</li>
 *   <li>{@code frequencyPenalty}, {@code presencePenalty}: OpenAI semantics, {@code logit -= count * frequency
 *       + (count > 0 ? presence : 0)} over the same window; 0 = off. Range [-2, 2].</li>
 *   <li>{@code penaltyLastN}: the window of recent tokens the penalties look at; -1 = the whole context,
 *       0 = penalties off.</li>
 *   <li>{@code seed}: the sampler's random stream; the same seed, params and logits give the same tokens.</li>
 * </ul>
 */
public record SamplingParams(double temperature, int topK, double topP, double minP, double repetitionPenalty,
                             double frequencyPenalty, double presencePenalty, int penaltyLastN, long seed) {

    public static final double MAX_TEMPERATURE = 100;
    public static final double MAX_ABS_OPENAI_PENALTY = 2;
    public static final int DEFAULT_PENALTY_LAST_N = 64;
    /** The seed of {@link #defaults()} and {@link #greedy()}; callers that want variety pass their own. */
    public static final long DEFAULT_SEED = 0x5EED_5EEDL;

    public SamplingParams {
        between("temperature", temperature, 0, MAX_TEMPERATURE);
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1] (1 = off), got " + topP);
        }
        between("minP", minP, 0, 1);
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException(
                    "repetitionPenalty must be a finite number > 0 (1 = off), got " + repetitionPenalty);
        }
        between("frequencyPenalty", frequencyPenalty, -MAX_ABS_OPENAI_PENALTY, MAX_ABS_OPENAI_PENALTY);
        between("presencePenalty", presencePenalty, -MAX_ABS_OPENAI_PENALTY, MAX_ABS_OPENAI_PENALTY);
        if (penaltyLastN < -1) {
            throw new IllegalArgumentException(
                    "penaltyLastN must be -1 (whole context), 0 (off) or a positive window, got " + penaltyLastN);
        }
    }

    /** llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no penalties, window 64. */
    public static SamplingParams defaults() {
        return new SamplingParams(0.8, 40, 0.95, 0.05, 1, 0, 0, DEFAULT_PENALTY_LAST_N, DEFAULT_SEED);
    }

    /** Argmax decoding with every filter and penalty off. */
    public static SamplingParams greedy() {
        return new SamplingParams(0, 0, 1, 0, 1, 0, 0, DEFAULT_PENALTY_LAST_N, DEFAULT_SEED);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    /** Whether any penalty would change a logit (a zero window or identity values make them all no-ops). */
    public boolean penaltiesActive() {
        return penaltyLastN != 0 && (repetitionPenalty != 1 || frequencyPenalty != 0 || presencePenalty != 0);
    }

    public SamplingParams withTemperature(double v) {
        return new SamplingParams(v, topK, topP, minP, repetitionPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, seed);
    }

    public SamplingParams withTopK(int v) {
        return new SamplingParams(temperature, v, topP, minP, repetitionPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, seed);
    }

    public SamplingParams withTopP(double v) {
        return new SamplingParams(temperature, topK, v, minP, repetitionPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, seed);
    }

    public SamplingParams withMinP(double v) {
        return new SamplingParams(temperature, topK, topP, v, repetitionPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, seed);
    }

    public SamplingParams withRepetitionPenalty(double v) {
        return new SamplingParams(temperature, topK, topP, minP, v, frequencyPenalty, presencePenalty,
                penaltyLastN, seed);
    }

    public SamplingParams withFrequencyPenalty(double v) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, v, presencePenalty,
                penaltyLastN, seed);
    }

    public SamplingParams withPresencePenalty(double v) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, frequencyPenalty, v,
                penaltyLastN, seed);
    }

    public SamplingParams withPenaltyLastN(int v) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, frequencyPenalty,
                presencePenalty, v, seed);
    }

    public SamplingParams withSeed(long v) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, frequencyPenalty,
                presencePenalty, penaltyLastN, v);
    }

    // NaN fails both comparisons, so it is rejected with the same message as an out-of-range value.
    private static void between(String name, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) {
            throw new IllegalArgumentException(name + " must be between " + fmt(lo) + " and " + fmt(hi)
                    + ", got " + v);
        }
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
