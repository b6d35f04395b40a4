package io.gmq.net.cluster;

import io.gmq.ClusterDescription;
import io.gmq.ErrorCode;
import io.gmq.GmqException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * One group of the storage cluster as one node's Raft server describes it (its group info);
 * complete (who is up, how far behind) when that node leads the group.
 */
final class ClusterDescriptions {
    /** A member the leader has not heard from for this long is down (the election timeout's upper bound). */
    static final long DOWN_AFTER_MILLIS = 2_000;

    private ClusterDescriptions() {}

    /**
     * Every group of the cluster as its leader's Raft server sees it (asked over Raft, so no node
     * asks another for a description that would ask back); during an election, or when the
     * leader does not answer, {@code node}'s own view (followers' state unknown).
     */
    static ClusterDescription of(StorageNode node) {
        List<ClusterDescription.StorageGroup> groups = new ArrayList<>();
        RaftPeerId self = RaftPeerId.valueOf(node.peers().self());
        for (RaftShard shard : node.shards()) {
            var view = node.view(shard);
            GroupInfoReply reply = null;
            if (view.leader() != null && !view.isLeader()) {
                reply = ask(node, shard, view.leader()); // null: the leader is gone or busy
            }
            if ((reply == null || !reply.isSuccess()) && view.local()) {
                try {
                    reply = node.groupInfo(shard, self);
                } catch (IOException e) {
                    throw new GmqException(
                            ErrorCode.UNAVAILABLE, "storage group " + shard.name() + " on this node: " + e, e);
                }
            }
            for (var p : view.group().getPeers()) {
                if (reply != null && reply.isSuccess()) {
                    break;
                }
                reply = ask(node, shard, p.getId()); // a group held elsewhere, its leader silent: any member
            }
            groups.add(
                    reply != null && reply.isSuccess()
                            ? of(shard.name(), reply, view.term(), node.storageAddresses())
                            : unknown(shard.name(), view.group(), node.storageAddresses()));
        }
        return new ClusterDescription(groups);
    }

    private static GroupInfoReply ask(StorageNode node, RaftShard shard, RaftPeerId at) {
        try {
            return node.groupInfo(shard, at);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A group held on other nodes, none of which answered: its members as last known, none up. */
    private static ClusterDescription.StorageGroup unknown(String name, RaftGroup group, Map<String, String> storage) {
        List<ClusterDescription.Node> members = new ArrayList<>();
        for (var peer : group.getPeers()) {
            String id = peer.getId().toString();
            members.add(
                    new ClusterDescription.Node(id, peer.getAddress(), storage.getOrDefault(id, ""), false, -1, -1));
        }
        return new ClusterDescription.StorageGroup(name, "", -1, -1, members);
    }

    /**
     * @param name    the group's name
     * @param info    the group info of the node that answered (the leader, or this node)
     * @param term    the term to show when the answering node does not lead (its own current term)
     * @param storage node id -> announced GmqStorage address
     */
    static ClusterDescription.StorageGroup of(
            String name, GroupInfoReply info, long term, Map<String, String> storage) {
        RoleInfoProto role = info.getRoleInfoProto();
        String self = role.getSelf().getId().toStringUtf8();
        boolean leads = role.getRole() == RaftPeerRole.LEADER;
        String leader = leads
                ? self
                : role.hasFollowerInfo()
                        ? role.getFollowerInfo().getLeaderInfo().getId().getId().toStringUtf8()
                        : "";
        Map<String, Long> commits = new HashMap<>();
        for (CommitInfoProto c : info.getCommitInfos()) {
            commits.put(c.getServer().getId().toStringUtf8(), c.getCommitIndex());
        }
        Map<String, Long> silentMillis = new HashMap<>();
        if (role.hasLeaderInfo()) {
            for (ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
                silentMillis.put(f.getId().getId().toStringUtf8(), f.getLastRpcElapsedTimeMs());
            }
        }
        long commit = commits.getOrDefault(self, -1L);
        List<ClusterDescription.Node> members = new ArrayList<>();
        for (var peer : info.getGroup().getPeers()) {
            String id = peer.getId().toString();
            long peerCommit = commits.getOrDefault(id, -1L);
            boolean up =
                    id.equals(self) || (leads && silentMillis.getOrDefault(id, Long.MAX_VALUE) < DOWN_AFTER_MILLIS);
            members.add(new ClusterDescription.Node(
                    id,
                    peer.getAddress(),
                    storage.getOrDefault(id, ""),
                    up,
                    peerCommit,
                    peerCommit < 0 || commit < 0 ? -1 : Math.max(0, commit - peerCommit)));
        }
        return new ClusterDescription.StorageGroup(
                name, leader, leads ? role.getLeaderInfo().getTerm() : term, commit, members);
    }
}
