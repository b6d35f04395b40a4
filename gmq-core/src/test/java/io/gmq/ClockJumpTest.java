package io.gmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.junit.GmqExtension;
import io.gmq.junit.MessageCollector;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Wall-clock jumps (NTP steps, a VM restored from a snapshot) must not drive timeouts: sessions,
 * ack timeouts and pull intervals run on the monotonic clock, so a jump of a day either way causes
 * no redelivery and no member expiry.
 */
class ClockJumpTest {
    /** Real monotonic time; wall time that a test can step. */
    static final class JumpingClock implements TimeSource {
        final AtomicLong offsetMillis = new AtomicLong();

        @Override
        public long wallMillis() {
            return System.currentTimeMillis() + offsetMillis.get();
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }
    }

    private final JumpingClock clock = new JumpingClock();

    @RegisterExtension
    GmqExtension gmq = GmqExtension.create()
            .withConfig(c -> c.timeSource(clock)
                    .ackTimeout(Duration.ofSeconds(5))
                    .sessionTimeout(Duration.ofSeconds(5))
                    .commitInterval(Duration.ofMillis(20)));

    @Test
    void wallClockJumpsCauseNoRedeliveryAndNoExpiry() {
        gmq.gmq().admin().createTopic("jobs", 1);
        MessageCollector c =
                gmq.collect(ConsumerConfig.builder().consumerGroup("g").ackMode(AckMode.MANUAL), "jobs");
        EmbeddedGmqTest.waitUntil(
                "assigned", () -> c.subscription().assignment().size() == 1);
        String member = c.subscription().memberId();
        for (int i = 0; i < 5; i++) {
            gmq.publish("jobs", "m" + i);
        }
        List<ConsumeMessage> first = c.await(5);

        clock.offsetMillis.set(Duration.ofDays(1).toMillis());
        gmq.publish("jobs", "after-forward-jump");
        c.await(6);
        clock.offsetMillis.set(-Duration.ofDays(1).toMillis());
        gmq.publish("jobs", "after-backward-jump");
        List<ConsumeMessage> all = c.await(7);

        // An observation window, not synchronisation: several heartbeat and redelivery-tick periods
        // pass on the monotonic clock, and nothing may happen in them.
        java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(1500).toNanos());
        assertEquals(7, c.messages().size(), "nothing was delivered twice: " + c.payloads());
        assertTrue(c.messages().stream().allMatch(m -> m.deliveryCount() == 1));
        assertEquals(member, c.subscription().memberId(), "the member was not expired");
        assertEquals(Set.of(new TopicPartition("jobs", 0)), c.subscription().assignment());
        all.forEach(ConsumeMessage::ack);
        EmbeddedGmqTest.waitUntil(
                "all committed",
                () -> gmq.gmq().admin().describeGroup("g").partitions().get(0).committedOffset() == 7);
        assertEquals(5, first.size());
    }
}
