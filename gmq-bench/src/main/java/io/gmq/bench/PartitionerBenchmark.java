package io.gmq.bench;

import io.gmq.broker.Partitioner;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Routing a publish: murmur2 of a partition key (Kafka's), and the keyless round-robin. Score: choices/s. */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@State(Scope.Thread)
public class PartitionerBenchmark {
    @Param({"12", "64"})
    public int keyBytes;

    final Partitioner partitioner = new Partitioner();
    byte[] key;

    @Setup
    public void build() {
        key = new byte[keyBytes];
        for (int i = 0; i < keyBytes; i++) {
            key[i] = (byte) ('a' + i % 26);
        }
    }

    @Benchmark
    public int byKey() {
        return partitioner.choose("orders", null, key, 12);
    }

    @Benchmark
    public int keyless() {
        return partitioner.nextSpreadPartition("orders", 12);
    }
}
