package io.gmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default topic limit is usable in full: 10,000 one-partition topics are created, listed and
 * served, and the 10,001st is RESOURCE_EXHAUSTED without a trace on disk. Prints where the time goes
 * (creation, listing, reopening) so a slowdown is visible in the test log; it asserts no timing.
 * Topic creation costs one SQLite transaction (an fsync under synchronous=FULL) plus the partition
 * directory; partitions open lazily, so listing and reopening stay cheap.
 */
class TenThousandTopicsTest {
    static final int TOPICS = 10_000;
    /**
     * Descriptors the engine holds besides segment files (SQLite database and WAL, the writer's
     * handles) plus the segments pinned past the cap by threads inside a read or write.
     */
    static final int DESCRIPTOR_MARGIN = 64;

    @TempDir
    Path dir;

    private static String name(int i) {
        return String.format("topic-%05d", i);
    }

    @Test
    void tenThousandTopicsAreCreatedAndServedAndOneMoreIsResourceExhausted() throws IOException {
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir)
                .flushPolicy(FlushPolicy.OS)
                .maxTopics(TOPICS)
                .build();
        try (Gmq gmq = Gmq.open(config)) {
            long t0 = System.nanoTime();
            for (int i = 0; i < TOPICS; i++) {
                gmq.admin().createTopic(name(i), 1);
            }
            long created = System.nanoTime();
            List<TopicInfo> topics = gmq.admin().listTopics();
            long listed = System.nanoTime();
            assertEquals(TOPICS, topics.size());
            report("create " + TOPICS + " topics", t0, created);
            report("list them", created, listed);

            long dirsBefore = countDirectories();
            GmqException e = assertThrows(GmqException.class, () -> gmq.admin().createTopic("one-too-many", 1));
            assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.code());
            assertEquals(TOPICS, gmq.admin().listTopics().size());
            assertEquals(dirsBefore, countDirectories());
            GmqException auto = assertThrows(GmqException.class, () -> gmq.publish("auto-too-many", "x".getBytes()));
            assertEquals(ErrorCode.RESOURCE_EXHAUSTED, auto.code());
            assertEquals(dirsBefore, countDirectories());

            assertPublishAndReadBack(gmq, name(TOPICS - 1), "last");
        }
        long t1 = System.nanoTime();
        try (Gmq reopened = Gmq.open(config)) {
            report("reopen with " + TOPICS + " topics", t1, System.nanoTime());
            assertEquals(TOPICS, reopened.admin().listTopics().size());
            assertPublishAndReadBack(reopened, name(0), "first");
        }
    }

    /**
     * All 10,000 topics written at once and read back with the log's open files capped far below
     * the 20,000 the partitions would otherwise hold: the cache closes idle segments and reopens
     * them on use, so the process's descriptors stay under the cap plus what the engine and the JVM
     * hold anyway (counted from /proc/self/fd where it exists, sampled through the run).
     */
    @Test
    void everyOneOfTenThousandTopicsCanBeWrittenAtOnce() {
        int maxOpenFiles = 512;
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir)
                .flushPolicy(FlushPolicy.OS)
                .maxTopics(TOPICS)
                .maxOpenFiles(maxOpenFiles)
                .build();
        OpenDescriptors fds = OpenDescriptors.start();
        try (Gmq gmq = Gmq.open(config)) {
            long t0 = System.nanoTime();
            for (int i = 0; i < TOPICS; i++) {
                gmq.admin().createTopic(name(i), 1);
            }
            long created = System.nanoTime();
            report("create " + TOPICS + " topics", t0, created);
            // Four publishing threads: the first publish to a topic opens its partition log (a
            // directory and its fsync), and concurrent fsyncs share the file system's journal commits.
            List<CompletableFuture<PublishResult>> acks = publishToEveryTopic(gmq, 4);
            acks.forEach(CompletableFuture::join);
            long published = System.nanoTime();
            report("publish one message to each topic", created, published);
            for (int i = 0; i < TOPICS; i++) {
                PartitionReader reader = gmq.reader(
                        new TopicPartition(name(i), 0),
                        OffsetSpec.offset(acks.get(i).join().offset()));
                List<ConsumeMessage> got = reader.poll(1, Duration.ofSeconds(10));
                assertEquals(1, got.size(), "message of " + name(i));
                assertEquals(name(i), got.get(0).payloadAsString());
            }
            report("read every message back", published, System.nanoTime());
        } finally {
            fds.stop();
        }
        fds.assertPeakAtMost(maxOpenFiles + DESCRIPTOR_MARGIN);
    }

    /** One message per topic (its name as payload), topic i's ack at index i. */
    private static List<CompletableFuture<PublishResult>> publishToEveryTopic(Gmq gmq, int threads) {
        List<CompletableFuture<PublishResult>> acks = new ArrayList<>(java.util.Collections.nCopies(TOPICS, null));
        List<Thread> publishers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int first = t;
            Thread th = new Thread(
                    () -> {
                        for (int i = first; i < TOPICS; i += threads) {
                            acks.set(
                                    i,
                                    gmq.publishAsync(
                                            name(i), name(i).getBytes(), PublishOption.qos(QoS.AT_LEAST_ONCE)));
                        }
                    },
                    "publisher-" + t);
            publishers.add(th);
            th.start();
        }
        for (Thread th : publishers) {
            try {
                th.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        return acks;
    }

    private static void assertPublishAndReadBack(Gmq gmq, String topic, String payload) {
        PublishResult r = gmq.publish(topic, payload.getBytes(), PublishOption.qos(QoS.AT_LEAST_ONCE));
        PartitionReader reader = gmq.reader(new TopicPartition(topic, 0), OffsetSpec.offset(r.offset()));
        List<ConsumeMessage> got = reader.poll(10, Duration.ofSeconds(10));
        assertEquals(payload, got.get(0).payloadAsString());
    }

    /**
     * Samples the process's open descriptors on a thread of its own and remembers the most seen
     * above the count at start; a no-op where /proc/self/fd does not exist.
     */
    private static final class OpenDescriptors {
        private static final Path FD_DIR = Path.of("/proc/self/fd");
        private final long baseline;
        private final java.util.concurrent.atomic.AtomicLong peak = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        private final Thread sampler;

        private OpenDescriptors(long baseline) {
            this.baseline = baseline;
            this.sampler = new Thread(this::sample, "fd-sampler");
            this.sampler.setDaemon(true);
        }

        static OpenDescriptors start() {
            OpenDescriptors d = new OpenDescriptors(Files.isDirectory(FD_DIR) ? count() : -1);
            if (d.baseline >= 0) {
                d.sampler.start();
            }
            return d;
        }

        private static long count() {
            try (Stream<Path> s = Files.list(FD_DIR)) {
                return s.count();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private void sample() {
            while (!stop.get()) {
                peak.accumulateAndGet(count(), Math::max);
                // a sampling period, not synchronisation: the peak is also taken once more at stop
                java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
            }
        }

        void stop() {
            if (baseline < 0) {
                return;
            }
            peak.accumulateAndGet(count(), Math::max);
            stop.set(true);
            try {
                sampler.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void assertPeakAtMost(long extra) {
            if (baseline < 0) {
                return;
            }
            System.out.printf(
                    "TenThousandTopicsTest: open descriptors %d at start, at most %d during the run%n",
                    baseline, peak.get());
            org.junit.jupiter.api.Assertions.assertTrue(
                    peak.get() <= baseline + extra,
                    "open descriptors peaked at " + peak.get() + ", more than " + extra + " above the " + baseline
                            + " open at start");
        }
    }

    private long countDirectories() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isDirectory).count();
        }
    }

    private static void report(String what, long fromNanos, long toNanos) {
        System.out.printf("TenThousandTopicsTest: %s took %d ms%n", what, (toNanos - fromNanos) / 1_000_000);
    }
}
