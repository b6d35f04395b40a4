package io.gmq.client.internal;

import io.gmq.ConsumeMessage;
import io.gmq.OffsetSpec;
import io.gmq.PartitionReader;
import io.gmq.TopicPartition;
import io.gmq.broker.DeliveredRecord;
import io.gmq.proto.ReadPartitionRequest;
import io.gmq.proto.ReadPartitionResponse;
import io.gmq.wire.Protos;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link PartitionReader} over the broker's ReadPartition call: no group, no acks. The first
 * poll resolves the start position (earliest, latest, a timestamp) at the broker; later polls ask
 * for the exact next offset.
 */
final class RemotePartitionReader implements PartitionReader {
    /** The broker caps its long poll at 10 s; the client's own request timeout caps it too. */
    private static final long MAX_POLL_MILLIS = 10_000;

    private final BrokerConnection connection;
    private final TopicPartition tp;
    private final long requestTimeoutMillis;
    /** Where the next poll reads: the spec given, until a poll resolved it to an offset. */
    private OffsetSpec next;

    RemotePartitionReader(BrokerConnection connection, TopicPartition tp, OffsetSpec from, Duration requestTimeout) {
        this.connection = connection;
        this.tp = tp;
        this.next = from;
        this.requestTimeoutMillis = requestTimeout.toMillis();
    }

    @Override
    public TopicPartition topicPartition() {
        return tp;
    }

    /** The next offset; resolves the start position at the broker if no poll has yet. */
    @Override
    public long position() {
        if (next.kind() != OffsetSpec.Kind.OFFSET) {
            next = OffsetSpec.offset(read(0).getOffset());
        }
        return next.value();
    }

    @Override
    public void seek(OffsetSpec spec) {
        next = spec;
    }

    @Override
    public List<ConsumeMessage> poll(int maxMessages, Duration timeout) {
        ReadPartitionResponse r =
                read(Math.min(timeout.toMillis(), Math.min(MAX_POLL_MILLIS, requestTimeoutMillis / 2)));
        List<ConsumeMessage> out = new ArrayList<>();
        DeliveredRecord.decode(
                r.getFrames().asReadOnlyByteBuffer().order(io.gmq.storage.BatchFormat.ORDER),
                r.getOffset(),
                Long.MAX_VALUE,
                at -> new Replayed(tp, at),
                m -> {
                    if (out.size() < maxMessages) {
                        out.add(m);
                    }
                });
        long position = out.isEmpty() ? r.getOffset() : out.get(out.size() - 1).offset() + 1;
        next = OffsetSpec.offset(position);
        return out;
    }

    private ReadPartitionResponse read(long maxWaitMillis) {
        return connection.unary(stub -> stub.readPartition(ReadPartitionRequest.newBuilder()
                .setTopicPartition(Protos.toProto(tp))
                .setFrom(Protos.toProto(next))
                .setMaxWaitMillis(Math.max(0, maxWaitMillis))
                .build()));
    }

    /** A record read outside any group: nothing to acknowledge. */
    private static final class Replayed extends DeliveredRecord {
        Replayed(TopicPartition tp, io.gmq.storage.BatchReader at) {
            super(tp, at, 1);
        }

        @Override
        protected void settle(boolean ack) {}
    }
}
