package io.gmq.net.storage;

import com.google.protobuf.ByteString;
import io.gmq.Ordering;
import io.gmq.ShareGroupDescription;
import io.gmq.TopicPartition;
import io.gmq.proto.AcquireResponse;
import io.gmq.proto.ShareGroupMember;
import io.gmq.proto.SharePartitionState;
import io.gmq.storage.FetchResult;
import io.gmq.storage.ShareAcquisition;
import io.gmq.wire.Protos;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/** The share-group messages of storage.proto, mapped to and from core's types (both sides). */
final class ShareRpc {
    private ShareRpc() {}

    static AcquireResponse toProto(ShareAcquisition a) {
        AcquireResponse.Builder b = AcquireResponse.newBuilder();
        if (a.count() > 0) {
            b.setRecords(Protos.bytes(a.frames()));
            for (int i = 0; i < a.count(); i++) {
                b.addOffsets(a.offsets()[i]);
                b.addDeliveryCounts(a.deliveryCounts()[i]);
            }
        }
        return b.build();
    }

    static ShareAcquisition fromProto(AcquireResponse r) {
        if (r.getOffsetsCount() == 0) {
            return ShareAcquisition.EMPTY;
        }
        int n = r.getOffsetsCount();
        long[] offsets = new long[n];
        int[] counts = new int[n];
        for (int i = 0; i < n; i++) {
            offsets[i] = r.getOffsets(i);
            counts[i] = r.getDeliveryCounts(i);
        }
        ByteString records = r.getRecords();
        return new ShareAcquisition(records.isEmpty() ? FetchResult.EMPTY : Protos.readView(records), offsets, counts);
    }

    static io.gmq.proto.ShareGroupDescription toProto(ShareGroupDescription d) {
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

    static ShareGroupDescription fromProto(io.gmq.proto.ShareGroupDescription d) {
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
