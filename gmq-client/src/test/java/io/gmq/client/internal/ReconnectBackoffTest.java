package io.gmq.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

final class ReconnectBackoffTest {
    private static List<Long> delays(ReconnectBackoff b, int n) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(b.nextDelayMillis());
        }
        return out;
    }

    @Test
    void theSmallestDelaysAreHalfOfACeilingThatDoublesUpToTheCap() {
        ReconnectBackoff b = new ReconnectBackoff(2_000, bound -> 0);
        assertEquals(List.of(25L, 50L, 100L, 200L, 400L, 800L, 1_000L, 1_000L), delays(b, 8));
    }

    @Test
    void theLargestDelaysAreTheCeilingItself() {
        ReconnectBackoff b = new ReconnectBackoff(2_000, bound -> bound - 1);
        assertEquals(List.of(50L, 100L, 200L, 400L, 800L, 1_600L, 2_000L, 2_000L), delays(b, 8));
    }

    @Test
    void resetStartsOverFromTheFirstCeiling() {
        ReconnectBackoff b = new ReconnectBackoff(2_000, bound -> bound - 1);
        delays(b, 5);
        b.reset();
        assertEquals(List.of(50L, 100L), delays(b, 2));
    }

    @Test
    void aCapBelowTheFirstCeilingBoundsEveryDelay() {
        ReconnectBackoff b = new ReconnectBackoff(10, bound -> bound - 1);
        assertEquals(List.of(10L, 10L, 10L), delays(b, 3));
    }

    @Test
    void clientsThatLostTheSameBrokerSpreadTheirRetries() {
        Random random = new Random(42);
        Set<Long> firstDelays = new HashSet<>();
        Set<Long> fifthDelays = new HashSet<>();
        for (int client = 0; client < 100; client++) {
            ReconnectBackoff b = new ReconnectBackoff(2_000, random::nextLong);
            List<Long> d = delays(b, 5);
            long ceiling = ReconnectBackoff.INITIAL_MILLIS;
            for (long delay : d) {
                assertTrue(
                        delay >= ceiling / 2 && delay <= ceiling,
                        delay + " outside [" + ceiling / 2 + ", " + ceiling + "]");
                ceiling = Math.min(ceiling * 2, 2_000);
            }
            firstDelays.add(d.get(0));
            fifthDelays.add(d.get(4));
        }
        assertTrue(firstDelays.size() >= 15, "first retries at only " + firstDelays.size() + " distinct delays");
        assertTrue(fifthDelays.size() >= 50, "fifth retries at only " + fifthDelays.size() + " distinct delays");
    }

    @Test
    void aCapBelowOneMillisecondIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ReconnectBackoff(0, bound -> 0));
    }
}
