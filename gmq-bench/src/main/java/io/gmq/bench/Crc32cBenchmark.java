package io.gmq.bench;

import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFrame;
import java.nio.ByteBuffer;
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

/** CRC32C of one batch frame as the log computes it (seal on append, check on read). Score: frames/s. */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@State(Scope.Thread)
public class Crc32cBenchmark {
    @Param({"12800", "102400"})
    public int frameBytes;

    ByteBuffer frame;
    final BatchFrame cursor = new BatchFrame();

    @Setup
    public void build() {
        BatchBuilder b = new BatchBuilder(frameBytes + 64);
        byte[] value = new byte[100];
        while (b.sizeInBytes() + 124 <= frameBytes) {
            b.add(1, null, value, null);
        }
        frame = b.buildCopy();
    }

    @Benchmark
    public int crc() {
        return cursor.wrap(frame, 0).computeCrc();
    }
}
