package io.gmq.net.hostile;

import io.gmq.proto.ClientFrame;
import io.gmq.proto.PublishBatch;
import io.gmq.proto.QoS;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import io.gmq.wire.Protos;
import java.nio.ByteBuffer;
import java.util.List;

/** Publish frames for hostile-input tests. */
final class Frames {
    private Frames() {}

    /** One QoS 1 frame with one record per value (key may be null or empty), its CRC32C stamped as the SDK does. */
    static byte[] frame(byte[] key, byte[]... values) {
        BatchBuilder b = new BatchBuilder();
        b.attributes(BatchFormat.ATTR_QOS_AT_LEAST_ONCE);
        for (byte[] v : values) {
            b.add(1L, key, v, List.of());
        }
        ByteBuffer built = b.buildCopy();
        new BatchFrame().wrap(built, 0).stampCrc();
        byte[] bytes = new byte[built.remaining()];
        built.get(bytes);
        return bytes;
    }

    static ClientFrame publish(long id, String topic, int partition, byte[] frame) {
        return ClientFrame.newBuilder()
                .setPublish(PublishBatch.newBuilder()
                        .setRequestId(id)
                        .setTopic(topic)
                        .setPartition(partition)
                        .setQos(QoS.QOS_AT_LEAST_ONCE)
                        .setBatch(Protos.bytes(ByteBuffer.wrap(frame))))
                .build();
    }

    /** Whether storage would accept {@code frame} as one whole unsealed frame (structure only, not sizes or CRC). */
    static boolean structurallyValid(byte[] frame) {
        BatchFrame f = new BatchFrame().wrap(ByteBuffer.wrap(frame), 0);
        return f.validateStructure(frame.length) == null && f.frameLength() == frame.length;
    }

    /** Whether {@code frame} is one whole frame with a non-zero CRC that does not match its bytes. */
    static boolean crcDamaged(byte[] frame) {
        BatchFrame f = new BatchFrame().wrap(ByteBuffer.wrap(frame), 0);
        return f.lengthProblem(frame.length) == null && f.frameLength() == frame.length && !f.producerCrcHolds();
    }
}
