package dev.shoal.tensor.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class SamplingParamsTest {

    private static void rejects(String message, Executable build) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, build).getMessage());
    }

    @Test
    void validationNamesTheParameterAndTheAllowedRange() {
        SamplingParams d = SamplingParams.defaults();
        rejects("temperature must be between 0 and 100, got 350.0", () -> d.withTemperature(350));
        rejects("temperature must be between 0 and 100, got -0.1", () -> d.withTemperature(-0.1));
        rejects("temperature must be between 0 and 100, got NaN", () -> d.withTemperature(Double.NaN));
        rejects("topK must be >= 0 (0 = off), got -1", () -> d.withTopK(-1));
        rejects("topP must be in (0, 1] (1 = off), got 0.0", () -> d.withTopP(0));
        rejects("topP must be in (0, 1] (1 = off), got 1.5", () -> d.withTopP(1.5));
        rejects("minP must be between 0 and 1, got 1.01", () -> d.withMinP(1.01));
        rejects("repetitionPenalty must be a finite number > 0 (1 = off), got 0.0", () -> d.withRepetitionPenalty(0));
        rejects("repetitionPenalty must be a finite number > 0 (1 = off), got Infinity",
                () -> d.withRepetitionPenalty(Double.POSITIVE_INFINITY));
        rejects("frequencyPenalty must be between -2 and 2, got 2.5", () -> d.withFrequencyPenalty(2.5));
        rejects("presencePenalty must be between -2 and 2, got -3.0", () -> d.withPresencePenalty(-3));
        rejects("penaltyLastN must be -1 (whole context), 0 (off) or a positive window, got -2",
                () -> d.withPenaltyLastN(-2));
    }

    @Test
    void boundaryValuesAreAccepted() {
        SamplingParams p = SamplingParams.defaults().withTemperature(100).withTopP(1).withMinP(1).withFrequencyPenalty(-2)
                .withPresencePenalty(2).withPenaltyLastN(-1).withTopK(0).withRepetitionPenalty(1e-3);
        assertEquals(100, p.temperature());
        assertEquals(-1, p.penaltyLastN());
    }

    @Test
    void factoriesAndFlags() {
        SamplingParams g = SamplingParams.greedy();
        assertTrue(g.isGreedy());
        assertFalse(g.penaltiesActive());
        SamplingParams d = SamplingParams.defaults();
        assertEquals(new SamplingParams(0.8, 40, 0.95, 0.05, 1, 0, 0, 64, SamplingParams.DEFAULT_SEED), d);
        assertFalse(d.isGreedy());
        assertTrue(d.withRepetitionPenalty(1.1).penaltiesActive());
        assertTrue(d.withPresencePenalty(0.1).penaltiesActive());
        assertFalse(d.withPresencePenalty(0.1).withPenaltyLastN(0).penaltiesActive());
        assertEquals(7L, d.withSeed(7).seed());
    }
}
