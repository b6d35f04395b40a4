package io.gmq.wire;

import io.gmq.Ordering;
import io.gmq.ShareGroupDescription;
import io.gmq.TopicPartition;
import io.gmq.proto.ShareGroupMember;
import io.gmq.proto.SharePartitionState;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/** Share groups' descriptions between wire and domain (client and server alike). */
public final class ShareProtos {
    private ShareProtos() {}

    public static io.gmq.proto.ShareGroupDescription toProto(ShareGroupDescription d) {
        io.gmq.proto.ShareGroupDescription.Builder b = io.gmq.proto.ShareGroupDescription.newBuilder()
                .setGroup(d.group())
                .setKeyOrdered(d.ordering() == Ordering.KEY);
        for (ShareGroupDescription.Member m : d.members()) {
            b.addMembers(ShareGroupMember.newBuilder()
                    .setMemberId(m.memberId())
                    .setClientId(m.clientId())
                    .addAllTopics(m.topics())
                    .setLastHeartbeatAgeMillis(m.lastHeartbeatAgeMillis()));
        }
        for (ShareGroupDescription.Partition p : d.partitions()) {
            b.addPartitions(SharePartitionState.newBuilder()
                    .setTopic(p.topicPartition().topic())
                    .setPartition(p.topicPartition().partition())
                    .setStartOffset(p.startOffset())
                    .setInFlight(p.inFlight())
                    .setAcquired(p.acquired())
                    .setHighWatermark(p.highWatermark()));
        }
        return b.build();
    }

    public static ShareGroupDescription fromProto(io.gmq.proto.ShareGroupDescription d) {
        List<ShareGroupDescription.Member> members = new ArrayList<>();
        for (ShareGroupMember m : d.getMembersList()) {
            members.add(new ShareGroupDescription.Member(
                    m.getMemberId(),
                    m.getClientId(),
                    new LinkedHashSet<>(m.getTopicsList()),
                    m.getLastHeartbeatAgeMillis()));
        }
        List<ShareGroupDescription.Partition> parts = new ArrayList<>();
        for (SharePartitionState p : d.getPartitionsList()) {
            parts.add(new ShareGroupDescription.Partition(
                    new TopicPartition(p.getTopic(), p.getPartition()),
                    p.getStartOffset(),
                    p.getInFlight(),
                    p.getAcquired(),
                    p.getHighWatermark()));
        }
        return new ShareGroupDescription(
                d.getGroup(), d.getKeyOrdered() ? Ordering.KEY : Ordering.PARTITION, members, parts);
    }
}
