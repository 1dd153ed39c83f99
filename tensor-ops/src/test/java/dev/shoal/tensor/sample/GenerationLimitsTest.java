package dev.shoal.tensor.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class GenerationLimitsTest {

    @Test
    void reportsTheLimitThatWasReached() {
        GenerationLimits g = new GenerationLimits(10, 100);
        assertEquals(Optional.empty(), g.reached(9, 99));
        assertEquals(Optional.of(StopReason.MAX_TOKENS), g.reached(10, 50));
        assertEquals(Optional.of(StopReason.CONTEXT_FULL), g.reached(3, 100));
        assertEquals(Optional.of(StopReason.MAX_TOKENS), g.reached(10, 100));
        assertEquals(Optional.of(StopReason.CONTEXT_FULL), GenerationLimits.contextOnly(64).reached(1_000_000, 64));
        assertEquals(Optional.empty(), GenerationLimits.contextOnly(64).reached(1_000_000, 63));
    }

    @Test
    void rejectsNonPositiveLimits() {
        assertEquals("maxTokens must be > 0, got 0",
                assertThrows(IllegalArgumentException.class, () -> new GenerationLimits(0, 10)).getMessage());
        assertEquals("contextLength must be > 0, got -1",
                assertThrows(IllegalArgumentException.class, () -> new GenerationLimits(5, -1)).getMessage());
    }

    @Test
    void finishReasonsFollowOpenAi() {
        assertEquals("stop", StopReason.EOS.finishReason());
        assertEquals("stop", StopReason.STOP_STRING.finishReason());
        assertEquals("length", StopReason.MAX_TOKENS.finishReason());
        assertEquals("length", StopReason.CONTEXT_FULL.finishReason());
        assertEquals("cancelled", StopReason.CANCELLED.finishReason());
    }
}
