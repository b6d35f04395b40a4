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
import org.junit.jupiter.api.Disabled;
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

    @Test
    @Disabled("limit: every open partition holds its segment and index files open (as Kafka does) and nothing "
            + "closes idle ones, so publishing to all 10,000 topics needs ulimit -n above ~20,000; beyond the limit "
            + "publishes fail with RESOURCE_EXHAUSTED naming ulimit -n. An LRU of open segment files would lift it")
    void everyOneOfTenThousandTopicsCanBeWrittenAtOnce() {
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir)
                .flushPolicy(FlushPolicy.OS)
                .maxTopics(TOPICS)
                .build();
        try (Gmq gmq = Gmq.open(config)) {
            for (int i = 0; i < TOPICS; i++) {
                gmq.admin().createTopic(name(i), 1);
            }
            long t0 = System.nanoTime();
            List<CompletableFuture<PublishResult>> acks = new ArrayList<>(TOPICS);
            for (int i = 0; i < TOPICS; i++) {
                acks.add(gmq.publishAsync(name(i), "m".getBytes(), PublishOption.qos(QoS.AT_LEAST_ONCE)));
            }
            acks.forEach(CompletableFuture::join);
            report("publish one message to each topic", t0, System.nanoTime());
        }
    }

    private static void assertPublishAndReadBack(Gmq gmq, String topic, String payload) {
        PublishResult r = gmq.publish(topic, payload.getBytes(), PublishOption.qos(QoS.AT_LEAST_ONCE));
        PartitionReader reader = gmq.reader(new TopicPartition(topic, 0), OffsetSpec.offset(r.offset()));
        List<ConsumeMessage> got = reader.poll(10, Duration.ofSeconds(10));
        assertEquals(payload, got.get(0).payloadAsString());
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
