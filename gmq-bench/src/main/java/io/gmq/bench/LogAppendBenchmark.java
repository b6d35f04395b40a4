package io.gmq.bench;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.TopicPartition;
import io.gmq.internal.log.LogManager;
import io.gmq.internal.log.PartitionLog;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Append throughput of one partition: every benchmark thread is a producer that keeps
 * {@link #WINDOW} batches of {@link #RECORDS_PER_BATCH} records in flight (as a client with
 * pipelined publishes does) and waits for all of them per operation. Scores are records/s
 * (one "op" = one record). Data goes to {@code -Dgmq.bench.dir} (default ./gmq-bench-data) on a real
 * disk; retention keeps it bounded.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx1g"})
public class LogAppendBenchmark {
    static final int RECORDS_PER_BATCH = 100;
    static final int WINDOW = 64;

    @State(Scope.Benchmark)
    public static class Engine {
        @Param({"SYNC", "OS"})
        public String policy;

        LogManager logs;
        PartitionLog log;
        Path dir;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Files.createTempDirectory(
                    Paths.get(System.getProperty("gmq.bench.dir", ".")).toAbsolutePath(), "gmq-bench-");
            GmqConfig cfg = GmqConfig.builder()
                    .dataDir(dir)
                    .flushPolicy(FlushPolicy.parse(policy))
                    .segmentBytes(256L * 1024 * 1024)
                    .retentionBytes(1024L * 1024 * 1024)
                    .retentionCheckInterval(Duration.ofSeconds(1))
                    .build();
            logs = LogManager.open(cfg);
            log = logs.log(new TopicPartition("bench", 0));
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
    public static class Producer {
        @Param({"100", "1024"})
        public int recordBytes;

        final ByteBuffer[] frames = new ByteBuffer[WINDOW];

        @SuppressWarnings("unchecked")
        final CompletableFuture<AppendResult>[] inFlight = new CompletableFuture[WINDOW];

        @Setup(Level.Trial)
        public void build() {
            byte[] value = new byte[recordBytes];
            for (int w = 0; w < WINDOW; w++) {
                BatchBuilder b = new BatchBuilder(RECORDS_PER_BATCH * (recordBytes + 64));
                for (int i = 0; i < RECORDS_PER_BATCH; i++) {
                    b.add(System.currentTimeMillis(), null, value, null);
                }
                frames[w] = b.buildCopy();
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(WINDOW * RECORDS_PER_BATCH)
    public long append(Engine engine, Producer p) {
        for (int w = 0; w < WINDOW; w++) {
            p.frames[w].clear();
            p.inFlight[w] = engine.log.append(p.frames[w], true);
        }
        long last = 0;
        for (int w = 0; w < WINDOW; w++) {
            last = p.inFlight[w].join().baseOffset();
        }
        return last;
    }
}
