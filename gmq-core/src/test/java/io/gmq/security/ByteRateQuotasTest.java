package io.gmq.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-principal byte rates on a clock the test moves: the throttle each call gets, and the quota file. */
class ByteRateQuotasTest {
    private static final long MS = 1_000_000L;
    private final AtomicLong now = new AtomicLong(1_000 * MS);

    @Test
    void aPrincipalOverItsRateWaitsForItsDebtAndOthersAreNotSlowed() {
        ByteRateQuotas q = ByteRateQuotas.of(Map.of("slow", new ByteRateQuotas.Limits(1_000, 4_000)), now::get);
        Principal slow = new Principal("slow");
        assertEquals(0, q.publishThrottleNanos(slow, 1_000), "one second's worth is there at first");
        assertEquals(500 * MS, q.publishThrottleNanos(slow, 500));
        now.addAndGet(500 * MS); // the debt is paid
        assertEquals(0, q.publishThrottleNanos(slow, 0));
        assertEquals(250 * MS, q.publishThrottleNanos(slow, 250));
        now.addAndGet(10_000 * MS); // a long pause refills one second's worth, not more
        assertEquals(0, q.publishThrottleNanos(slow, 1_000));
        assertEquals(1_000 * MS, q.publishThrottleNanos(slow, 1_000));

        // Fetching has its own bucket and rate.
        assertEquals(0, q.fetchThrottleNanos(slow, 4_000));
        assertEquals(250 * MS, q.fetchThrottleNanos(slow, 1_000));
        // Nobody else is limited: no line of their own and no '*'.
        assertEquals(0, q.publishThrottleNanos(new Principal("fast"), 1L << 30));
        assertEquals(0, q.fetchThrottleNanos(null, 1L << 30));
    }

    @Test
    void theStarLineLimitsEveryPrincipalWithoutALineEachInItsOwnBucket(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(
                dir.resolve("quotas"),
                String.join(
                        "\n",
                        "# principal  rates",
                        "*        publish-bytes-per-second=1KiB",
                        "admin    fetch-bytes-per-second=2MiB",
                        ""));
        ByteRateQuotas q = ByteRateQuotas.load(file);
        assertEquals(new ByteRateQuotas.Limits(1024, 0), q.limits(new Principal("alice")));
        assertEquals(new ByteRateQuotas.Limits(1024, 0), q.limits(null));
        assertEquals(new ByteRateQuotas.Limits(0, 2L << 20), q.limits(new Principal("admin")));
        assertEquals(0, q.publishThrottleNanos(new Principal("alice"), 1024));
        assertTrue(q.publishThrottleNanos(new Principal("alice"), 1024) > 0);
        assertEquals(0, q.publishThrottleNanos(new Principal("bob"), 1024), "bob has a bucket of his own");

        Files.writeString(file, "* publish-bytes-per-second=10MiB\n");
        assertTrue(q.reloadIfChanged());
        assertEquals(new ByteRateQuotas.Limits(10L << 20, 0), q.limits(new Principal("admin")));
    }

    @Test
    void aMalformedLineIsRefusedNamingIt() {
        for (List<String> bad : List.of(
                List.of("alice publish=5"),
                List.of("alice publish-bytes-per-second=fast"),
                List.of("alice publish-bytes-per-second=0"),
                List.of("alice fetch-bytes-per-second=1KiB", "alice publish-bytes-per-second=1KiB"),
                List.of("al:ce publish-bytes-per-second=1KiB", "bad principal", "a*b fetch-bytes-per-second=1"))) {
            GmqException e = assertThrows(GmqException.class, () -> ByteRateQuotas.parse(bad, "quota file q"));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().startsWith("quota file q line "), e.getMessage());
        }
    }
}
