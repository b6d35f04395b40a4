package io.gmq.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.Gmq;
import io.gmq.GmqConfig;
import io.gmq.PublishOption;
import io.gmq.QoS;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A publish started from a publish's completion callback must never stop the log.
 *
 * <p>Before the one publish path, an append's completion ran on the log's own thread (the syncer
 * under SYNC, the writer otherwise) and went straight on to send the partition's next batch, and
 * the application's callbacks published from there too: {@code LogWriter.offer} spins while the
 * append queue is full, so the writer (waiting for the cycle the syncer was completing, or being
 * that thread itself) never drained it again. Here a tiny append queue, many partitions and chains
 * of publishes that each start the next from the previous one's callback make the queue full
 * while completions run; every publish must complete.
 */
class PublishFromCompletionTest {
    private static final int PARTITIONS = 64;
    private static final int CHAINS_PER_PARTITION = 4;
    private static final int PUBLISHES_PER_CHAIN = 150;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "flush policy {0}")
    @ValueSource(strings = {"sync", "os"})
    void publishesChainedFromCompletionsAllCompleteWithATinyAppendQueue(String policy) throws Exception {
        Gmq gmq = Gmq.open(GmqConfig.builder()
                .dataDir(dir)
                .flushPolicy(FlushPolicy.parse(policy))
                .appendQueueCapacity(2)
                .defaultPartitions(PARTITIONS)
                .build());
        int chains = PARTITIONS * CHAINS_PER_PARTITION;
        CountDownLatch finished = new CountDownLatch(chains);
        AtomicLong completed = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        byte[] payload = new byte[100];
        try {
            // Started on another thread: on a stuck log even the first publishes never return.
            Thread starter = new Thread(
                    () -> {
                        for (int c = 0; c < chains; c++) {
                            publishChain(gmq, c % PARTITIONS, 0, payload, completed, finished, failure);
                        }
                    },
                    "test-publisher");
            starter.setDaemon(true);
            starter.start();
            // A hang is the failure this test looks for: the deadline only bounds it.
            boolean all = finished.await(60, TimeUnit.SECONDS);
            assertNull(failure.get(), () -> "a publish failed: " + failure.get());
            assertTrue(
                    all,
                    () -> "only " + completed.get() + " of " + (long) chains * PUBLISHES_PER_CHAIN
                            + " publishes completed within 60 s: a completion is stuck on a log thread");
            assertEquals((long) chains * PUBLISHES_PER_CHAIN, completed.get());
        } finally {
            closeWithin(gmq, Duration.ofSeconds(10));
        }
    }

    private static void publishChain(
            Gmq gmq,
            int partition,
            int n,
            byte[] payload,
            AtomicLong completed,
            CountDownLatch finished,
            AtomicReference<Throwable> failure) {
        gmq.publishAsync(
                        "chained",
                        payload,
                        PublishOption.partition(partition),
                        PublishOption.qos(n % 2 == 0 ? QoS.AT_LEAST_ONCE : QoS.AT_MOST_ONCE))
                .whenComplete((r, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                        finished.countDown();
                        return;
                    }
                    completed.incrementAndGet();
                    if (n + 1 < PUBLISHES_PER_CHAIN) {
                        publishChain(gmq, partition, n + 1, payload, completed, finished, failure);
                    } else {
                        finished.countDown();
                    }
                });
    }

    /** Closes on another thread: after a deadlock, close would wait for the stuck offer forever. */
    private static void closeWithin(Gmq gmq, Duration limit) throws InterruptedException {
        Thread closer = new Thread(gmq::close, "test-close");
        closer.setDaemon(true);
        closer.start();
        closer.join(limit.toMillis());
    }
}
