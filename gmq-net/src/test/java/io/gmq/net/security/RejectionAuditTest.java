package io.gmq.net.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The audit of refused connections writes at most one line per interval and loses no count. */
final class RejectionAuditTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final List<String> lines = new ArrayList<>();
    private long now = 1_000 * SECOND;
    private final RejectionAudit audit = new RejectionAudit(lines::add, () -> now, SECOND);

    @Test
    void tenThousandRefusalsWithinOneSecondWriteOneLine() {
        for (int i = 0; i < 10_000; i++) {
            audit.rejected("10.0.0.1", "full");
        }
        assertEquals(1, lines.size(), lines.toString());
        assertEquals("connection rejected: remote=10.0.0.1 reason=full", lines.get(0));
    }

    @Test
    void nextLineAfterTheIntervalCountsTheUnloggedRefusals() {
        for (int i = 0; i < 10_000; i++) {
            audit.rejected("10.0.0.1", "full");
            now += 10_000; // 10 us apart: 0.1 s for all of them
        }
        now += SECOND;
        audit.rejected("10.0.0.2", "per-ip");
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(
                lines.get(1).endsWith("remote=10.0.0.2 reason=per-ip (9999 more rejected since the previous line)"),
                lines.get(1));
    }

    @Test
    void flushAfterTheIntervalLogsTheHeldBackCountOnce() {
        audit.rejected("10.0.0.1", "full");
        assertTrue(audit.rejected("10.0.0.1", "full"), "the first held-back refusal asks for a flush");
        for (int i = 0; i < 41; i++) {
            assertFalse(audit.rejected("10.0.0.1", "full"), "only the first held-back refusal asks");
        }
        audit.flush(); // too early: the interval has not passed
        assertEquals(1, lines.size(), lines.toString());
        now += audit.intervalNanos();
        audit.flush();
        audit.flush();
        assertEquals(
                List.of(
                        "connection rejected: remote=10.0.0.1 reason=full",
                        "connection rejected: 42 more since the previous line"),
                lines);
    }

    @Test
    void refusalsSpreadOverTimeWriteOneLineEachInterval() {
        for (int i = 0; i < 100; i++) {
            audit.rejected("10.0.0.1", "full");
            now += SECOND / 10;
        }
        // 100 refusals over 10 s: one line per second.
        assertEquals(10, lines.size(), lines.toString());
    }
}
