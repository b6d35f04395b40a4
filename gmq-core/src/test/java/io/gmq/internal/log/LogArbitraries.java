package io.gmq.internal.log;

import io.gmq.Header;
import io.gmq.internal.log.LogTestSupport.Rec;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** jqwik generators for records and batches of every shape. */
final class LogArbitraries {
    private LogArbitraries() {}

    static Arbitrary<Rec> records() {
        Arbitrary<Long> timestamps = Arbitraries.longs().between(0, 2_000_000_000_000L);
        Arbitrary<byte[]> keys =
                Arbitraries.bytes().array(byte[].class).ofMaxSize(24).injectNull(0.3);
        Arbitrary<byte[]> values = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(40),
                Arbitraries.bytes().array(byte[].class).ofMinSize(100).ofMaxSize(700));
        Arbitrary<Header> header = Combinators.combine(
                        Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(8),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(12))
                .as(Header::new);
        Arbitrary<List<Header>> headers = header.list().ofMaxSize(3);
        return Combinators.combine(timestamps, keys, values, headers).as(Rec::new);
    }

    static Arbitrary<List<List<Rec>>> batches(int maxBatches) {
        return records().list().ofMinSize(1).ofMaxSize(8).list().ofMinSize(1).ofMaxSize(maxBatches);
    }
}
