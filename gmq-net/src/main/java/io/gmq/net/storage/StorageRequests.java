package io.gmq.net.storage;

import io.gmq.OffsetSpec;
import io.gmq.TopicPartition;
import io.gmq.proto.CommitOffsetsRequest;
import io.gmq.proto.HeartbeatRequest;
import io.gmq.proto.JoinGroupRequest;
import io.gmq.proto.LeaveGroupRequest;
import io.gmq.proto.OffsetEntry;
import io.gmq.proto.ResetOffsetsRequest;
import io.gmq.wire.Protos;
import java.util.Map;
import java.util.Set;

/**
 * The group calls of the {@link io.gmq.storage.Storage} seam as their protobuf requests: what
 * {@link RemoteStorage} sends to a storage process and what a storage cluster puts in its Raft log.
 */
public final class StorageRequests {
    private StorageRequests() {}

    public static JoinGroupRequest joinGroup(
            String group, String clientId, Set<String> topics, long sessionTimeoutMillis) {
        return joinGroup(group, clientId, topics, sessionTimeoutMillis, null);
    }

    /** A join; {@code groupInstanceId} null for a dynamic member (sent as the empty string). */
    public static JoinGroupRequest joinGroup(
            String group, String clientId, Set<String> topics, long sessionTimeoutMillis, String groupInstanceId) {
        return JoinGroupRequest.newBuilder()
                .setGroup(group)
                .setClientId(clientId)
                .addAllTopics(topics)
                .setSessionTimeoutMillis(sessionTimeoutMillis)
                .setGroupInstanceId(groupInstanceId == null ? "" : groupInstanceId)
                .build();
    }

    /** The request's group instance id, or null for a dynamic member. */
    public static String groupInstanceId(JoinGroupRequest r) {
        return r.getGroupInstanceId().isEmpty() ? null : r.getGroupInstanceId();
    }

    public static HeartbeatRequest heartbeat(String group, String memberId, int generation, Set<TopicPartition> owned) {
        return HeartbeatRequest.newBuilder()
                .setGroup(group)
                .setMemberId(memberId)
                .setGeneration(generation)
                .addAllOwned(Protos.toProto(owned == null ? Set.of() : owned))
                .build();
    }

    public static LeaveGroupRequest leaveGroup(String group, String memberId) {
        return LeaveGroupRequest.newBuilder()
                .setGroup(group)
                .setMemberId(memberId)
                .build();
    }

    public static CommitOffsetsRequest commitOffsets(
            String group, String memberId, int generation, Map<TopicPartition, Long> offsets) {
        CommitOffsetsRequest.Builder b = CommitOffsetsRequest.newBuilder()
                .setGroup(group)
                .setMemberId(memberId)
                .setGeneration(generation);
        offsets.forEach((tp, offset) -> b.addOffsets(
                OffsetEntry.newBuilder().setTopicPartition(Protos.toProto(tp)).setOffset(offset)));
        return b.build();
    }

    /** Every partition of {@code topic}. */
    public static ResetOffsetsRequest resetOffsets(String group, String topic, OffsetSpec spec) {
        return ResetOffsetsRequest.newBuilder()
                .setGroup(group)
                .setTopic(topic)
                .setSpec(Protos.toProto(spec))
                .build();
    }

    /** One partition. */
    public static ResetOffsetsRequest resetOffsets(String group, TopicPartition partition, OffsetSpec spec) {
        return ResetOffsetsRequest.newBuilder()
                .setGroup(group)
                .setTopic(partition.topic())
                .setPartition(partition.partition())
                .setSpec(Protos.toProto(spec))
                .build();
    }
}
