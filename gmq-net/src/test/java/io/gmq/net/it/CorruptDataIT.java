package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.PublishOption;
import io.gmq.PublishResult;
import io.gmq.TopicPartition;
import io.gmq.client.GmqClient;
import io.gmq.testkit.QueueChecker;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Torn and corrupt files at startup. A server process fills a data directory and stops cleanly;
 * then each trial damages a copy of it in one way (truncate a segment at a random byte, flip a
 * random bit in a segment, an index, the SQLite file or its header, delete an index) and starts a server
 * process on the copy.
 *
 * <p>Pass: the process either refuses to start (exit code != 0 and an error message), or it serves
 * only what was published: every record a fresh group consumes is a payload that was acknowledged
 * at exactly that partition and offset, byte for byte; and if it serves fewer records than were
 * acknowledged, its log output says what recovery dropped or found damaged.
 */
final class CorruptDataIT extends ClusterTest {
    private static final String TOPIC = "corrupt";
    private static final int MESSAGES = 600;
    private static final int ROUNDS = Integer.getInteger("gmq.faults.corruptRounds", 2);

    enum Damage {
        TRUNCATE_SEGMENT,
        FLIP_SEGMENT_BIT,
        FLIP_INDEX_BIT,
        FLIP_SQLITE_BIT,
        DELETE_INDEX,
        /** A flip in the SQLite header's magic string: the state cannot be opened at all. */
        FLIP_SQLITE_HEADER_BIT
    }

    /** Deterministic content of message {@code i}: a recognisable id plus filler derived from it. */
    static String payload(int i) {
        StringBuilder b = new StringBuilder("m-").append(i).append('-');
        Random r = new Random(i);
        while (b.length() < 120) {
            b.append((char) ('a' + r.nextInt(26)));
        }
        return b.toString();
    }

    @Test
    @Timeout(value = 200, unit = TimeUnit.SECONDS)
    void damagedDataDirectoryIsRecoveredOrRefusedButNeverServesDamagedRecords() throws Exception {
        Path clean = dir.resolve("clean");
        Recorder published = new Recorder();
        GmqProcess filler = cluster.startServer("filler", clean);
        try (GmqClient client = GmqClient.connect(
                Cluster.config(filler.address(), Duration.ofSeconds(30)).build())) {
            client.createTopic(TOPIC, 3);
            List<CompletableFuture<PublishResult>> acks = new ArrayList<>();
            for (int i = 0; i < MESSAGES; i++) {
                String id = payload(i);
                published.record(h -> h.attempt("filler", id));
                acks.add(client.publishAsync(
                        TOPIC, payload(i).getBytes(StandardCharsets.UTF_8), PublishOption.partitionKey("k" + i % 7)));
            }
            client.flush();
            for (int i = 0; i < MESSAGES; i++) {
                PublishResult r = acks.get(i).join();
                String id = payload(i);
                published.record(h -> h.acked("filler", id, new TopicPartition(r.topic(), r.partition()), r.offset()));
            }
        }
        filler.close(); // SIGTERM: a clean stop, so every byte in the copy was written by a healthy engine

        long seed = System.nanoTime();
        Random random = new Random(seed);
        System.out.println("CorruptDataIT seed " + seed);
        int trial = 0;
        for (int round = 0; round < ROUNDS; round++) {
            for (Damage damage : Damage.values()) {
                trial++;
                Path copy = dir.resolve("trial-" + trial);
                copyTree(clean, copy);
                String what = damage(copy, damage, random);
                runTrial("trial-" + trial, copy, damage, damage + " " + what, published);
            }
        }
    }

    private void runTrial(String name, Path data, Damage damage, String what, Recorder published) throws Exception {
        Launch s = Launch.start(
                name,
                cluster.logs,
                List.of(),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--data-dir",
                data.toString());
        if (s.process() == null) {
            String output = s.output();
            System.out.printf(
                    "CorruptDataIT %s (%s): refused to start, exit %d: %s%n", name, what, s.exitCode(), output.strip());
            assertNotEquals(0, s.exitCode(), what + ": a refusal must exit with an error code");
            assertTrue(output.contains("error"), what + ": a refusal must say why: " + output);
            return;
        }
        Launch server = cluster.own(s);
        // One history per trial: the acknowledged sends of the filler, then this trial's deliveries.
        Recorder rec = new Recorder();
        published.history().events().forEach(e -> replay(rec, e));
        AtomicLong lastDelivery = new AtomicLong(System.nanoTime());
        List<String> damaged = new java.util.concurrent.CopyOnWriteArrayList<>();
        GmqClient member = cluster.client(Cluster.config(server.address(), Duration.ofSeconds(10))
                .consumerGroup("check-" + name)
                .clientId(name + "-member")
                .pullInterval(Duration.ofMillis(20))
                .messageHandler(m -> {
                    // Record first: a handler that throws only nacks, so checks are judged on this thread later.
                    rec.consume(name + "-member", m);
                    String problem = damageIn(m.payloadAsString());
                    if (problem != null) {
                        damaged.add(problem + " at partition " + m.partition() + " offset " + m.offset());
                    }
                    lastDelivery.set(System.nanoTime());
                }));
        try {
            member.subscribe(TOPIC);
        } catch (RuntimeException e) {
            // The damage may have removed the topic (SQLite): then nothing can be served, which is fine.
            System.out.printf("CorruptDataIT %s (%s): subscribe failed: %s%n", name, what, e);
        }
        long recovered = recoveredRecords(server.address());
        // Consume until everything recovery kept was served, or nothing new arrived for 5 s (a damaged
        // partition stops at the damage).
        lastDelivery.set(System.nanoTime());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        while (rec.consumed.size() < recovered
                && System.nanoTime() - lastDelivery.get() < TimeUnit.SECONDS.toNanos(5)
                && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        member.close();
        server.close();
        String log = server.output();
        System.out.printf("CorruptDataIT %s (%s): served %d of %d%n", name, what, rec.consumed.size(), MESSAGES);
        assertEquals(List.of(), damaged, what + ": every served record is intact");
        QueueChecker.check(
                        rec.history(),
                        QueueChecker.Options.defaults().withCheckLost(false).withAllowSkipOverUnconsumed(true))
                .assertValid();
        // A cut exactly at a frame boundary is a shorter, valid log: recovery has nothing to report. Any
        // other loss (records recovery dropped, or kept but cannot serve) must be in the log.
        boolean cleanCut = damage == Damage.TRUNCATE_SEGMENT && rec.consumed.size() == recovered;
        if (rec.consumed.size() < MESSAGES && !cleanCut) {
            assertTrue(
                    log.contains("dropped")
                            || log.contains("damaged")
                            || log.contains("DATA_LOSS")
                            || log.contains("checksum"),
                    what + ": served " + rec.consumed.size() + " of " + MESSAGES
                            + " records, but the log does not say what was dropped:\n" + log);
        }
    }

    /** Records the server holds after recovery (sum of high watermarks), or all published if it cannot say. */
    private static long recoveredRecords(String address) {
        try (GmqClient admin = GmqClient.connect(
                Cluster.config(address, Duration.ofSeconds(10)).build())) {
            return admin.describeTopic(TOPIC).partitions().stream()
                    .mapToLong(p -> p.highWatermark() - p.logStartOffset())
                    .sum();
        } catch (RuntimeException e) {
            return MESSAGES;
        }
    }

    private static void replay(Recorder rec, io.gmq.testkit.History.Event e) {
        if (e instanceof io.gmq.testkit.History.Attempt a) {
            rec.record(h -> h.attempt(a.producerId(), a.payloadId()));
        } else if (e instanceof io.gmq.testkit.History.Acked a) {
            rec.record(h -> h.acked(a.producerId(), a.payloadId(), a.partition(), a.offset()));
        }
    }

    /** Null if {@code payload} is exactly one that was published, else what is wrong with it. */
    private static String damageIn(String payload) {
        int dash = payload.indexOf('-', 2);
        try {
            int i = Integer.parseInt(payload.substring(2, dash));
            return payload(i).equals(payload) ? null : "payload of message " + i + " served damaged: " + payload;
        } catch (RuntimeException e) {
            return "served a payload that was never published: " + payload;
        }
    }

    /** Applies one damage to the data directory {@code data}; returns which file and where. */
    private static String damage(Path data, Damage damage, Random random) throws IOException {
        return switch (damage) {
            case TRUNCATE_SEGMENT -> {
                Path f = pick(data, ".log", random);
                long size = Files.size(f);
                long at = random.nextLong(size);
                try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                    raf.setLength(at);
                }
                yield data.relativize(f) + " truncated at " + at + " of " + size;
            }
            case FLIP_SEGMENT_BIT -> flip(data, pick(data, ".log", random), random);
            case FLIP_INDEX_BIT -> flip(data, pick(data, ".index", random), random);
            case FLIP_SQLITE_BIT -> flip(data, data.resolve("gmq.db"), random);
            case FLIP_SQLITE_HEADER_BIT -> {
                Path f = data.resolve("gmq.db");
                int at = random.nextInt(15); // "SQLite format 3" precedes a NUL at byte 15
                int bit = random.nextInt(7);
                try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                    raf.seek(at);
                    int b = raf.read();
                    raf.seek(at);
                    raf.write(b ^ (1 << bit));
                }
                yield "gmq.db header bit " + bit + " of byte " + at + " flipped";
            }
            case DELETE_INDEX -> {
                Path f = pick(data, ".index", random);
                Files.delete(f);
                yield data.relativize(f) + " deleted";
            }
        };
    }

    private static String flip(Path data, Path f, Random random) throws IOException {
        long size = Files.size(f);
        if (size == 0) {
            return data.relativize(f) + " is empty, nothing flipped";
        }
        long at = random.nextLong(size);
        int bit = random.nextInt(8);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(at);
            int b = raf.read();
            raf.seek(at);
            raf.write(b ^ (1 << bit));
        }
        return data.relativize(f) + " bit " + bit + " of byte " + at + " of " + size + " flipped";
    }

    /** A random non-empty file ending in {@code suffix} under {@code data}. */
    private static Path pick(Path data, String suffix, Random random) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(data)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(suffix))
                    .filter(p -> {
                        try {
                            return Files.size(p) > 0;
                        } catch (IOException e) {
                            return false;
                        }
                    })
                    .sorted()
                    .toList();
        }
        assertTrue(!files.isEmpty(), "no non-empty " + suffix + " file under " + data);
        return files.get(random.nextInt(files.size()));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().endsWith(".lock")) {
                    Files.copy(p, target);
                }
            }
        }
    }
}
