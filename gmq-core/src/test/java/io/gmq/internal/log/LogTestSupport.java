package io.gmq.internal.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.Header;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchReader;
import io.gmq.storage.FetchResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Builders, a record model and read-back helpers shared by the log tests (and other modules' tests). */
public final class LogTestSupport {
    private LogTestSupport() {}

    /** One record as a producer sent it, and as a reader must get it back. */
    public record Rec(long timestamp, byte[] key, byte[] value, List<Header> headers) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Rec r
                    && r.timestamp == timestamp
                    && Arrays.equals(r.key, key)
                    && Arrays.equals(r.value, value)
                    && r.headers.equals(headers);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(timestamp) * 31 + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Rec[ts=" + timestamp + ", key=" + (key == null ? "null" : key.length + "B") + ", value="
                    + value.length + "B, headers=" + headers.size() + "]";
        }
    }

    /** A record read back with its offset. */
    public record Stored(long offset, Rec rec) {}

    public static GmqConfig.Builder config(Path dataDir) {
        return GmqConfig.builder()
                .dataDir(dataDir)
                .flushPolicy(FlushPolicy.SYNC)
                .retentionAge(null)
                .retentionCheckInterval(Duration.ofHours(1));
    }

    public static ByteBuffer frame(List<Rec> records) {
        BatchBuilder b = new BatchBuilder(256);
        for (Rec r : records) {
            b.add(r.timestamp(), r.key(), r.value(), r.headers());
        }
        return b.buildCopy();
    }

    /** A batch of {@code count} records with values of {@code valueBytes} bytes, timestamps {@code ts}. */
    public static List<Rec> simpleBatch(int count, int valueBytes, long ts, int seed) {
        Random random = new Random(seed);
        List<Rec> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] value = new byte[valueBytes];
            random.nextBytes(value);
            out.add(new Rec(ts, ("k" + seed + "-" + i).getBytes(), value, List.of()));
        }
        return out;
    }

    public static AppendResult append(PartitionLog log, List<Rec> records) {
        return log.append(frame(records), true).join();
    }

    /** Every record from {@code from} to the high watermark, via reads of {@code maxBytes}. */
    public static List<Stored> readAll(PartitionLog log, long from, int maxBytes) {
        List<Stored> out = new ArrayList<>();
        long offset = from;
        BatchReader reader = new BatchReader();
        while (offset < log.highWatermark()) {
            FetchResult r = log.read(offset, maxBytes);
            if (r.outOfRange()) {
                offset = r.logStartOffset();
                continue;
            }
            if (r.isEmpty()) {
                break;
            }
            reader.wrap(r.records());
            while (reader.next()) {
                if (reader.offset() >= offset) {
                    out.add(new Stored(
                            reader.offset(),
                            new Rec(reader.timestamp(), reader.key(), reader.value(), reader.headers())));
                }
            }
            offset = out.isEmpty()
                    ? offset
                    : Math.max(offset, out.get(out.size() - 1).offset() + 1);
        }
        return out;
    }

    /** Asserts that the log holds exactly {@code expected}, at offsets {@code start..}. */
    public static void assertHolds(PartitionLog log, long start, List<Rec> expected) {
        List<Stored> got = readAll(log, start, 1 + new Random(expected.size()).nextInt(8192));
        assertEquals(expected.size(), got.size(), "record count");
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(start + i, got.get(i).offset(), "offset of record " + i);
            assertEquals(expected.get(i), got.get(i).rec(), "record at offset " + (start + i));
        }
    }

    public static GmqException cause(Throwable t) {
        Throwable c = t;
        while (c instanceof CompletionException
                || (c != null && !(c instanceof GmqException) && c.getCause() != null)) {
            c = c.getCause();
        }
        if (c instanceof GmqException g) {
            return g;
        }
        throw new AssertionError("expected a GmqException, got " + t, t);
    }

    /** Waits for a condition with a deadline (no sleeps as synchronisation). */
    public static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    public static Path partitionDir(Path dataDir, String topic, int partition) {
        return dataDir.resolve(LogManager.LOGS_DIR).resolve(topic).resolve(Integer.toString(partition));
    }

    /** Log files of a partition, oldest first. */
    public static List<Path> segmentFiles(Path dir, String suffix) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix))
                    .sorted(Comparator.naturalOrder())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
