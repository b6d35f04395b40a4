package io.gmq.net.hostile;

import io.gmq.proto.ClientFrame;
import io.gmq.proto.PublishBatch;
import io.gmq.proto.QoS;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.wire.Protos;
import java.nio.ByteBuffer;
import java.util.List;

/** Publish frames for hostile-input tests. */
final class Frames {
    private Frames() {}

    /** One QoS 1 frame with one record per value (key may be null or empty). */
    static byte[] frame(byte[] key, byte[]... values) {
        BatchBuilder b = new BatchBuilder();
        b.attributes(BatchFormat.ATTR_QOS_AT_LEAST_ONCE);
        for (byte[] v : values) {
            b.add(1L, key, v, List.of());
        }
        ByteBuffer built = b.buildCopy();
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

    /** Whether storage would accept {@code frame} as one whole unsealed frame (structure only, not sizes). */
    static boolean structurallyValid(byte[] frame) {
        ByteBuffer buf = ByteBuffer.wrap(frame).order(BatchFormat.ORDER);
        return BatchFormat.validateStructure(buf, 0, frame.length) == null
                && BatchFormat.frameLength(buf, 0) == frame.length;
    }
}
