package io.gmq.wire;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.PartitionInfo;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.GroupMembership;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Conversions between the API value types and their protobuf messages; no logic beyond that. */
public final class Protos {
    private Protos() {}

    /**
     * Wraps frame bytes without copying. Safe because a frame handed to gRPC is never written
     * again: the caller gives up the buffer (sealed frames are immutable, unsealed ones are
     * built fresh per batch, and fetch results are never written after the read; see
     * {@link io.gmq.storage.FetchResult}).
     */
    public static ByteString bytes(ByteBuffer frame) {
        return UnsafeByteOperations.unsafeWrap(frame.duplicate());
    }

    /** A read-only little-endian view for readers (fetch results, deliveries). */
    public static ByteBuffer readView(ByteString bytes) {
        return bytes.asReadOnlyByteBuffer().order(BatchFormat.ORDER);
    }

    /** A private writable copy, for frames storage stamps in place (append). */
    public static ByteBuffer writableCopy(ByteString bytes) {
        ByteBuffer buf = ByteBuffer.allocate(bytes.size()).order(BatchFormat.ORDER);
        bytes.copyTo(buf);
        return buf.flip();
    }

    public static io.gmq.proto.TopicPartition toProto(TopicPartition tp) {
        return io.gmq.proto.TopicPartition.newBuilder()
                .setTopic(tp.topic())
                .setPartition(tp.partition())
                .build();
    }

    public static TopicPartition fromProto(io.gmq.proto.TopicPartition tp) {
        return new TopicPartition(tp.getTopic(), tp.getPartition());
    }

    public static List<io.gmq.proto.TopicPartition> toProto(Collection<TopicPartition> tps) {
        List<io.gmq.proto.TopicPartition> out = new ArrayList<>(tps.size());
        for (TopicPartition tp : tps) {
            out.add(toProto(tp));
        }
        return out;
    }

    public static Set<TopicPartition> fromProto(List<io.gmq.proto.TopicPartition> tps) {
        Set<TopicPartition> out = new LinkedHashSet<>(tps.size() * 2);
        for (io.gmq.proto.TopicPartition tp : tps) {
            out.add(fromProto(tp));
        }
        return out;
    }

    public static io.gmq.proto.TopicInfo toProto(TopicInfo t) {
        io.gmq.proto.TopicInfo.Builder b = io.gmq.proto.TopicInfo.newBuilder()
                .setName(t.name())
                .setPartitions(t.partitions())
                .putAllConfig(t.config().values());
        for (io.gmq.PartitionGrowth g : t.growth()) {
            b.addGrowth(io.gmq.proto.PartitionGrowth.newBuilder()
                    .setFromPartitions(g.fromPartitions())
                    .setToPartitions(g.toPartitions())
                    .addAllBoundaries(g.boundaries()));
        }
        return b.build();
    }

    /** INVALID_ARGUMENT if its settings are not ones this version knows. */
    public static TopicInfo fromProto(io.gmq.proto.TopicInfo t) {
        List<io.gmq.PartitionGrowth> growth = new java.util.ArrayList<>(t.getGrowthCount());
        for (io.gmq.proto.PartitionGrowth g : t.getGrowthList()) {
            growth.add(new io.gmq.PartitionGrowth(g.getFromPartitions(), g.getToPartitions(), g.getBoundariesList()));
        }
        return new TopicInfo(t.getName(), t.getPartitions(), io.gmq.TopicConfig.of(t.getConfigMap()), growth);
    }

    public static io.gmq.proto.PartitionInfo toProto(PartitionInfo p) {
        return io.gmq.proto.PartitionInfo.newBuilder()
                .setTopicPartition(toProto(p.topicPartition()))
                .setLogStartOffset(p.logStartOffset())
                .setHighWatermark(p.highWatermark())
                .setSizeBytes(p.sizeBytes())
                .build();
    }

    public static PartitionInfo fromProto(io.gmq.proto.PartitionInfo p) {
        return new PartitionInfo(
                fromProto(p.getTopicPartition()), p.getLogStartOffset(), p.getHighWatermark(), p.getSizeBytes());
    }

    public static io.gmq.proto.RetryBackoff toProto(io.gmq.RetryBackoff b) {
        return io.gmq.proto.RetryBackoff.newBuilder()
                .setInitialMillis(b.initial().toMillis())
                .setMaxMillis(b.max().toMillis())
                .setJitter(b.jitter())
                .build();
    }

    /** The backoff {@code b} names; INVALID_ARGUMENT if it is not one (negative, max below initial, jitter outside 0..1). */
    public static io.gmq.RetryBackoff fromProto(io.gmq.proto.RetryBackoff b) {
        if (b.getInitialMillis() < 0 || b.getMaxMillis() < 0) {
            throw io.gmq.GmqException.invalidArgument("retry backoff durations must not be negative: initial "
                    + b.getInitialMillis() + " ms, max " + b.getMaxMillis() + " ms");
        }
        return new io.gmq.RetryBackoff(
                java.time.Duration.ofMillis(b.getInitialMillis()),
                java.time.Duration.ofMillis(b.getMaxMillis()),
                b.getJitter());
    }

    /** The ordering {@code o} names; INVALID_ARGUMENT for a value this version does not know. */
    public static io.gmq.Ordering fromProto(io.gmq.proto.Ordering o) {
        return switch (o) {
            case ORDERING_PARTITION -> io.gmq.Ordering.PARTITION;
            case ORDERING_KEY -> io.gmq.Ordering.KEY;
            default ->
                throw io.gmq.GmqException.invalidArgument(
                        "unknown ordering " + o.getNumber() + "; known: ORDERING_PARTITION, ORDERING_KEY");
        };
    }

    public static io.gmq.proto.OffsetSpec toProto(OffsetSpec s) {
        return io.gmq.proto.OffsetSpec.newBuilder()
                .setKind(
                        switch (s.kind()) {
                            case EARLIEST -> io.gmq.proto.OffsetSpec.Kind.EARLIEST;
                            case LATEST -> io.gmq.proto.OffsetSpec.Kind.LATEST;
                            case OFFSET -> io.gmq.proto.OffsetSpec.Kind.OFFSET;
                            case TIMESTAMP -> io.gmq.proto.OffsetSpec.Kind.TIMESTAMP;
                        })
                .setValue(s.value())
                .build();
    }

    public static OffsetSpec fromProto(io.gmq.proto.OffsetSpec s) {
        return switch (s.getKind()) {
            case EARLIEST -> OffsetSpec.earliest();
            case LATEST -> OffsetSpec.latest();
            case OFFSET -> OffsetSpec.offset(s.getValue());
            case TIMESTAMP -> OffsetSpec.timestamp(s.getValue());
            default -> throw io.gmq.GmqException.invalidArgument("unknown offset spec kind " + s.getKindValue());
        };
    }

    public static io.gmq.proto.GroupMembership toProto(GroupMembership m) {
        return io.gmq.proto.GroupMembership.newBuilder()
                .setGroup(m.group())
                .setMemberId(m.memberId())
                .setGeneration(m.generation())
                .addAllAssigned(toProto(m.assigned()))
                .setSessionTimeoutMillis(m.sessionTimeoutMillis())
                .build();
    }

    public static GroupMembership fromProto(io.gmq.proto.GroupMembership m) {
        return new GroupMembership(
                m.getGroup(),
                m.getMemberId(),
                m.getGeneration(),
                fromProto(m.getAssignedList()),
                m.getSessionTimeoutMillis());
    }

    public static io.gmq.proto.GroupDescription toProto(GroupDescription d) {
        io.gmq.proto.GroupDescription.Builder b =
                io.gmq.proto.GroupDescription.newBuilder().setGroup(d.group()).setGeneration(d.generation());
        for (GroupDescription.Member m : d.members()) {
            b.addMembers(io.gmq.proto.GroupMember.newBuilder()
                    .setMemberId(m.memberId())
                    .setClientId(m.clientId())
                    .addAllTopics(m.topics())
                    .addAllAssigned(toProto(m.assigned()))
                    .setLastHeartbeatAgeMillis(m.lastHeartbeatAgeMillis()));
        }
        for (GroupDescription.PartitionProgress p : d.partitions()) {
            b.addPartitions(io.gmq.proto.PartitionProgress.newBuilder()
                    .setTopicPartition(toProto(p.topicPartition()))
                    .setOwnerMemberId(p.ownerMemberId() == null ? "" : p.ownerMemberId())
                    .setCommittedOffset(p.committedOffset())
                    .setHighWatermark(p.highWatermark())
                    .setLag(p.lag())
                    .setScheduled(p.scheduled()));
        }
        if (d.share() != null) {
            b.setShare(ShareProtos.toProto(d.share()));
        }
        return b.build();
    }

    public static GroupDescription fromProto(io.gmq.proto.GroupDescription d) {
        List<GroupDescription.Member> members = new ArrayList<>();
        for (io.gmq.proto.GroupMember m : d.getMembersList()) {
            members.add(new GroupDescription.Member(
                    m.getMemberId(),
                    m.getClientId(),
                    new LinkedHashSet<>(m.getTopicsList()),
                    fromProto(m.getAssignedList()),
                    m.getLastHeartbeatAgeMillis()));
        }
        List<GroupDescription.PartitionProgress> partitions = new ArrayList<>();
        for (io.gmq.proto.PartitionProgress p : d.getPartitionsList()) {
            partitions.add(new GroupDescription.PartitionProgress(
                    fromProto(p.getTopicPartition()),
                    p.getOwnerMemberId().isEmpty() ? null : p.getOwnerMemberId(),
                    p.getCommittedOffset(),
                    p.getHighWatermark(),
                    p.getLag(),
                    p.getScheduled()));
        }
        return new GroupDescription(
                d.getGroup(),
                d.getGeneration(),
                members,
                partitions,
                d.hasShare() ? ShareProtos.fromProto(d.getShare()) : null);
    }

    public static io.gmq.proto.ClusterDescription toProto(io.gmq.ClusterDescription d) {
        io.gmq.proto.ClusterDescription.Builder b = io.gmq.proto.ClusterDescription.newBuilder();
        for (io.gmq.ClusterDescription.StorageGroup g : d.groups()) {
            io.gmq.proto.StorageGroupDescription.Builder gb = io.gmq.proto.StorageGroupDescription.newBuilder()
                    .setName(g.name())
                    .setLeader(g.leader())
                    .setTerm(g.term())
                    .setCommitIndex(g.commitIndex());
            for (io.gmq.ClusterDescription.Node n : g.members()) {
                gb.addMembers(io.gmq.proto.StorageNodeDescription.newBuilder()
                        .setId(n.id())
                        .setRaftAddress(n.raftAddress())
                        .setStorageAddress(n.storageAddress())
                        .setUp(n.up())
                        .setCommitIndex(n.commitIndex())
                        .setLag(n.lag()));
            }
            b.addGroups(gb);
        }
        return b.build();
    }

    public static io.gmq.ClusterDescription fromProto(io.gmq.proto.ClusterDescription d) {
        List<io.gmq.ClusterDescription.StorageGroup> groups = new ArrayList<>();
        for (io.gmq.proto.StorageGroupDescription g : d.getGroupsList()) {
            List<io.gmq.ClusterDescription.Node> members = new ArrayList<>();
            for (io.gmq.proto.StorageNodeDescription n : g.getMembersList()) {
                members.add(new io.gmq.ClusterDescription.Node(
                        n.getId(),
                        n.getRaftAddress(),
                        n.getStorageAddress(),
                        n.getUp(),
                        n.getCommitIndex(),
                        n.getLag()));
            }
            groups.add(new io.gmq.ClusterDescription.StorageGroup(
                    g.getName(), g.getLeader(), g.getTerm(), g.getCommitIndex(), members));
        }
        return new io.gmq.ClusterDescription(groups);
    }
}
