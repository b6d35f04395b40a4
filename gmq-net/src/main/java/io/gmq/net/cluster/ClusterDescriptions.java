package io.gmq.net.cluster;

import io.gmq.ClusterDescription;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.server.RaftServer;

/** The storage group as one node sees it; complete (who is up, how far behind) on the leader. */
final class ClusterDescriptions {
    /** A member the leader has not heard from for this long is down (the election timeout's upper bound). */
    static final long DOWN_AFTER_MILLIS = 2_000;

    private ClusterDescriptions() {}

    static ClusterDescription of(StorageNode node) {
        RaftServer.Division d = node.division();
        var info = d.getInfo();
        long commit = d.getRaftLog().getLastCommittedIndex();
        Map<String, Long> commits = new HashMap<>();
        for (CommitInfoProto c : d.getCommitInfos()) {
            commits.put(c.getServer().getId().toStringUtf8(), c.getCommitIndex());
        }
        Map<String, Long> silentMillis = new HashMap<>();
        var role = info.getRoleInfoProto();
        if (role.hasLeaderInfo()) {
            for (ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
                silentMillis.put(f.getId().getId().toStringUtf8(), f.getLastRpcElapsedTimeMs());
            }
        }
        String self = node.peers().self();
        Map<String, String> storage = node.stateMachine().storageAddresses();
        List<ClusterDescription.Node> members = new ArrayList<>();
        for (var peer : d.getGroup().getPeers()) {
            String id = peer.getId().toString();
            long peerCommit = commits.getOrDefault(id, -1L);
            boolean up = id.equals(self)
                    || (info.isLeader() && silentMillis.getOrDefault(id, Long.MAX_VALUE) < DOWN_AFTER_MILLIS);
            members.add(new ClusterDescription.Node(
                    id,
                    peer.getAddress(),
                    storage.getOrDefault(id, ""),
                    up,
                    peerCommit,
                    peerCommit < 0 ? -1 : Math.max(0, commit - peerCommit)));
        }
        var leader = info.getLeaderId();
        return new ClusterDescription(List.of(new ClusterDescription.StorageGroup(
                "storage", leader == null ? "" : leader.toString(), info.getCurrentTerm(), commit, members)));
    }
}
