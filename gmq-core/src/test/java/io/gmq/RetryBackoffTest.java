package io.gmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** The backoff between redeliveries: doubling, cap, jitter bounds, and where it is configured. */
class RetryBackoffTest {
    private static final long MS = 1_000_000L;

    @Test
    void eachFailedDeliveryDoublesTheWaitUpToTheCap() {
        RetryBackoff b = RetryBackoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(1));
        assertEquals(100 * MS, b.delayNanos(1, 0));
        assertEquals(200 * MS, b.delayNanos(2, 0));
        assertEquals(400 * MS, b.delayNanos(3, 0));
        assertEquals(800 * MS, b.delayNanos(4, 0));
        assertEquals(1000 * MS, b.delayNanos(5, 0), "capped");
        assertEquals(1000 * MS, b.delayNanos(Integer.MAX_VALUE, 0), "no overflow at any attempt");
    }

    @Test
    void aFixedWaitIsTheSameForEveryAttemptAndZeroIsNoWait() {
        assertEquals(250 * MS, RetryBackoff.fixed(Duration.ofMillis(250)).delayNanos(7, 0.5));
        assertEquals(0, RetryBackoff.NONE.delayNanos(3, 0.9));
    }

    @Test
    void jitterShortensTheWaitByAtMostItsShare() {
        RetryBackoff b = RetryBackoff.fixed(Duration.ofSeconds(1)).withJitter(0.25);
        assertEquals(1000 * MS, b.delayNanos(1, 0));
        assertEquals(750 * MS, b.delayNanos(1, 1.0));
        assertEquals(875 * MS, b.delayNanos(1, 0.5));
    }

    @Property(tries = 500)
    void theWaitLiesBetweenItsJitteredLowerBoundAndTheCap(
            @ForAll @LongRange(min = 1, max = 60_000) long initialMillis,
            @ForAll @LongRange(min = 0, max = 600_000) long extraMillis,
            @ForAll @DoubleRange(min = 0, max = 1) double jitter,
            @ForAll @IntRange(min = 1, max = 100) int attempt) {
        RetryBackoff b = new RetryBackoff(
                Duration.ofMillis(initialMillis), Duration.ofMillis(initialMillis + extraMillis), jitter);
        long cap = b.max().toNanos();
        long full = (long) Math.min((double) cap, b.initial().toNanos() * Math.pow(2, attempt - 1));
        long wait = b.delayNanos(attempt); // random jitter
        assertTrue(wait <= full && wait <= cap, wait + " > " + full);
        assertTrue(wait >= (long) (full * (1 - jitter)) - 1, wait + " below " + full + " less " + jitter);
    }

    @Test
    void badBackoffsAreRefusedWithTheRule() {
        assertEquals(
                ErrorCode.INVALID_ARGUMENT,
                assertThrows(
                                GmqException.class,
                                () -> new RetryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 0))
                        .code());
        assertEquals(
                ErrorCode.INVALID_ARGUMENT,
                assertThrows(GmqException.class, () -> RetryBackoff.fixed(Duration.ofMillis(-1)))
                        .code());
        assertEquals(
                ErrorCode.INVALID_ARGUMENT,
                assertThrows(GmqException.class, () -> RetryBackoff.NONE.withJitter(1.5))
                        .code());
    }

    @Test
    void aTopicsBackoffComesFromItsThreeSettings() {
        GmqConfig engine =
                GmqConfig.builder().nackBackoff(Duration.ofMillis(50)).build();
        assertEquals(
                RetryBackoff.fixed(Duration.ofMillis(50)), TopicConfig.empty().retryBackoff(engine));
        TopicConfig t = TopicConfig.of(Map.of(
                TopicConfig.NACK_BACKOFF, "100ms",
                TopicConfig.NACK_BACKOFF_MAX, "30s",
                TopicConfig.NACK_BACKOFF_JITTER, "0.2"));
        assertEquals(new RetryBackoff(Duration.ofMillis(100), Duration.ofSeconds(30), 0.2), t.retryBackoff(engine));
        assertEquals("30s", t.effective(engine).get(TopicConfig.NACK_BACKOFF_MAX));
        assertEquals("0.2", t.effective(engine).get(TopicConfig.NACK_BACKOFF_JITTER));
    }

    @Test
    void badTopicBackoffSettingsAreRefusedAndChangeNothing() {
        TopicConfig t = TopicConfig.of(Map.of(TopicConfig.NACK_BACKOFF, "1s"));
        for (Map<String, String> bad : java.util.List.of(
                Map.of(TopicConfig.NACK_BACKOFF_JITTER, "1.5"),
                Map.of(TopicConfig.NACK_BACKOFF_JITTER, "lots"),
                Map.of(TopicConfig.NACK_BACKOFF_MAX, "500ms"),
                Map.of(TopicConfig.NACK_BACKOFF_MAX, "-3s"))) {
            GmqException e = assertThrows(GmqException.class, () -> t.with(bad), bad.toString());
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains(bad.keySet().iterator().next()), e.getMessage());
        }
        assertEquals(Map.of(TopicConfig.NACK_BACKOFF, "1s"), t.values());
    }
}
