package io.gmq.internal.log;

import java.util.concurrent.ThreadLocalRandom;
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

/**
 * Sparse index lookup (binary search) in a full 128 MiB segment's index at the default 4 KiB
 * interval (32,768 entries). Lives in the log package because the index is package-private.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@State(Scope.Thread)
public class IndexLookupBenchmark {
    @Param({"32768"})
    public int entries;

    OffsetIndex index;
    int maxRelative;

    @Setup
    public void fill() {
        index = new OffsetIndex();
        for (int i = 0; i < entries; i++) {
            index.add(i * 33, i * 4096, i);
        }
        maxRelative = entries * 33;
    }

    @Benchmark
    public int floorByOffset() {
        return index.floorByOffset(ThreadLocalRandom.current().nextInt(maxRelative));
    }
}
