package io.gmq.bench;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.TopicPartition;
import io.gmq.internal.log.LogManager;
import io.gmq.internal.log.PartitionLog;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.FetchResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Sequential read throughput from the page cache: 1,000,000 records of {@code recordBytes} are
 * appended once, then each op reads {@code maxBytes} (CRC-checking every frame) and moves on,
 * wrapping at the end. The score is reads/s; records/s = score x records per read (printed by
 * the setup), MB/s = score x maxBytes.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx1g"})
public class LogReadBenchmark {
    static final int RECORDS = 1_000_000;
    static final int RECORDS_PER_BATCH = 100;

    @State(Scope.Benchmark)
    public static class Data {
        @Param({"100"})
        public int recordBytes;

        @Param({"1048576"})
        public int maxBytes;

        LogManager logs;
        PartitionLog log;
        Path dir;

        @Setup(Level.Trial)
        public void fill() throws IOException {
            dir = Files.createTempDirectory(
                    Paths.get(System.getProperty("gmq.bench.dir", ".")).toAbsolutePath(), "gmq-read-");
            logs = LogManager.open(
                    GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build());
            log = logs.log(new TopicPartition("read", 0));
            byte[] value = new byte[recordBytes];
            CompletableFuture<?> last = null;
            for (int b = 0; b < RECORDS / RECORDS_PER_BATCH; b++) {
                BatchBuilder builder = new BatchBuilder();
                for (int i = 0; i < RECORDS_PER_BATCH; i++) {
                    builder.add(b, null, value, null);
                }
                last = log.append(builder.buildCopy(), false);
            }
            last.join();
            FetchResult r = log.read(0, maxBytes);
            System.out.println("records per read ~ " + (long) r.records().remaining() * RECORDS / log.sizeBytes());
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            logs.close();
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @State(Scope.Thread)
    public static class Cursor {
        long offset;
    }

    @Benchmark
    public int read(Data d, Cursor c) {
        FetchResult r = d.log.read(c.offset, d.maxBytes);
        int bytes = r.records().remaining();
        // next offset: the base offset of the last frame plus its record count
        c.offset += (long) RECORDS_PER_BATCH * countFrames(r);
        if (c.offset >= d.log.highWatermark()) {
            c.offset = 0;
        }
        return bytes;
    }

    private static int countFrames(FetchResult r) {
        java.nio.ByteBuffer b = r.records();
        int n = 0;
        for (io.gmq.storage.BatchFrame f = new io.gmq.storage.BatchFrame().wrap(b, b.position());
                f.offset() < b.limit();
                f.next()) {
            n++;
        }
        return n;
    }
}
