package dev.shoal.http.common;

import dev.shoal.tensor.sample.SamplingParams;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Builds {@link SamplingParams} for a request. Their constructor validates ranges and names the offending knob
 * first in its message ({@code "topP must be in (0, 1]..."}); that becomes a 400 whose {@code param} is the API's
 * own name for the knob.
 */
public final class Sampling {

    private Sampling() {
    }

    /**
     * @param apiNames the engine's knob names ({@code temperature}, {@code topK}, {@code topP}, {@code minP},
     *                 {@code repetitionPenalty}, {@code frequencyPenalty}, {@code presencePenalty},
     *                 {@code penaltyLastN}) to the API's field names
     */
    public static SamplingParams checked(Supplier<SamplingParams> build, Map<String, String> apiNames) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            String message = e.getMessage() == null ? "invalid sampling parameters" : e.getMessage();
            int space = message.indexOf(' ');
            String knob = space > 0 ? message.substring(0, space) : message;
            String param = apiNames.get(knob);
            if (param != null) {
                message = param + message.substring(knob.length());
            }
            throw ApiException.invalid(message, param);
        }
    }

    /** A fresh seed for requests that do not fix one, so two identical requests may differ (as upstream). */
    public static long randomSeed() {
        return ThreadLocalRandom.current().nextLong();
    }

    /** The seed a request asked for, or a random one. */
    public static long seed(JsonFields f, String name) {
        var v = f.integer(name);
        return v.isPresent() ? v.getAsLong() : randomSeed();
    }

    public static SamplingParams params(double temperature, int topK, double topP, double minP, double repetition,
                                        double frequency, double presence, int lastN, long seed) {
        return new SamplingParams(temperature, topK, topP, minP, repetition, frequency, presence, lastN, seed);
    }
}
