package dev.shoal.transport.step;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** The step descriptor's wire form: round trips, the reused object, and frames a worker must refuse. */
class StepDescriptorTest {

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[StepDescriptor.frameLength(8) + 64]);

    @Test
    void aStepShouldRoundTripAtAnOffset() {
        final StepDescriptor out = new StepDescriptor(8);
        out.step(41, 3);
        out.row(0, 17, 0, 2, 96, false);
        out.row(1, 400, 1, 2, 96, true);
        out.row(2, 5, 63, 7, 128, true);
        final int length = out.encode(buffer, 8);
        assertEquals(16 + 3 * 20, length);

        final StepDescriptor in = new StepDescriptor(8);
        assertNull(in.decode(buffer, 8, length));
        assertFalse(in.isStop());
        assertEquals(41, in.sequence());
        assertEquals(3, in.count());
        final int[][] rows = {{17, 0, 2, 96, 0}, {400, 1, 2, 96, 1}, {5, 63, 7, 128, 1}};
        for (int b = 0; b < 3; b++) {
            assertEquals(rows[b][0], in.tokens()[b]);
            assertEquals(rows[b][1], in.positions()[b]);
            assertEquals(rows[b][2], in.slots()[b]);
            assertEquals(rows[b][3], in.capacities()[b]);
            assertEquals(rows[b][4] == 1, in.wantLogits()[b]);
        }
        // the same object takes the next frame
        out.step(42, 1);
        out.row(0, 9, 64, 7, 128, true);
        assertNull(in.decode(buffer, 0, out.encode(buffer, 0)));
        assertEquals(42, in.sequence());
        assertEquals(1, in.count());
        assertEquals(9, in.tokens()[0]);
    }

    @Test
    void aStopShouldRoundTripWithItsReason() {
        final StepDescriptor out = new StepDescriptor(2);
        out.stop(77, StepDescriptor.STOP_FAILED);
        final int length = out.encode(buffer, 0);
        assertEquals(StepDescriptor.HEADER_LENGTH, length);
        final StepDescriptor in = new StepDescriptor(2);
        assertNull(in.decode(buffer, 0, length));
        assertTrue(in.isStop());
        assertEquals(0, in.count());
        assertEquals(77, in.sequence());
        assertEquals(StepDescriptor.STOP_FAILED, in.stopReason());
    }

    @Test
    void malformedFramesShouldBeNamedNotThrown() {
        final StepDescriptor out = new StepDescriptor(8);
        out.step(0, 5);
        for (int b = 0; b < 5; b++) {
            out.row(b, 1, b, 0, 8, false);
        }
        final int length = out.encode(buffer, 0);
        final StepDescriptor small = new StepDescriptor(4);
        assertTrue(small.decode(buffer, 0, length).contains("5 rows"), "more rows than the worker's batch");
        final StepDescriptor in = new StepDescriptor(8);
        assertTrue(in.decode(buffer, 0, length - 20).contains("expected"), "a truncated frame");
        assertTrue(in.decode(buffer, 0, 8).contains("shorter"));
        buffer.putInt(StepDescriptor.KIND_OFFSET, 9, java.nio.ByteOrder.LITTLE_ENDIAN);
        assertTrue(in.decode(buffer, 0, length).contains("unknown descriptor kind 9"));
    }

    @Test
    void aStepShouldHaveOneToMaxBatchRows() {
        final StepDescriptor d = new StepDescriptor(4);
        assertThrows(IllegalArgumentException.class, () -> d.step(0, 0));
        assertThrows(IllegalArgumentException.class, () -> d.step(0, 5));
        d.step(0, 2);
        assertThrows(IndexOutOfBoundsException.class, () -> d.row(2, 0, 0, 0, 1, true));
    }
}
