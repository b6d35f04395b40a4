package io.gmq.bench;

import io.gmq.Header;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchReader;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The batch frame codec: encoding a producer's batch ({@link BatchBuilder}, reused as the client
 * reuses it) and walking a stored frame record by record ({@link BatchReader}, as a consumer's
 * decode does). Score: records/s (each invocation handles {@link #RECORDS} records).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@State(Scope.Thread)
public class BatchCodecBenchmark {
    static final int RECORDS = 100;

    @Param({"100", "1024"})
    public int recordBytes;

    @Param({"false", "true"})
    public boolean withKeyAndHeader;

    byte[] value;
    byte[] key;
    List<Header> headers;
    BatchBuilder builder;
    ByteBuffer frame;
    final BatchReader reader = new BatchReader();

    @Setup
    public void build() {
        value = new byte[recordBytes];
        key = withKeyAndHeader ? "user-0000042".getBytes() : null;
        headers = withKeyAndHeader ? List.of(new Header("trace", new byte[16])) : null;
        builder = new BatchBuilder(RECORDS * (recordBytes + 64) + BatchFormat.HEADER_LENGTH);
        frame = encode();
    }

    private ByteBuffer encode() {
        addRecords();
        return builder.buildCopy();
    }

    private void addRecords() {
        builder.reset();
        for (int i = 0; i < RECORDS; i++) {
            builder.add(i, key, value, headers);
        }
    }

    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public ByteBuffer encodeBatch() {
        addRecords();
        return builder.build();
    }

    /** Walks every record and reads what a consumer's view records: offset, timestamp, sizes. */
    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public void decodeBatch(Blackhole bh) {
        reader.wrap(frame);
        while (reader.next()) {
            bh.consume(reader.offset());
            bh.consume(reader.timestamp());
            bh.consume(reader.valueLength());
            bh.consume(reader.keyLength());
        }
    }
}
