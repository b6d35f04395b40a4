package io.gmq.net.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.server.RaftServer;

/**
 * A storage group as one node sees it: members, leader, term, the node's commit and applied
 * index, and each member's commit index as the node last heard it (on the leader: how far each
 * follower is behind).
 */
public record ClusterStatus(
        String node, String leader, long term, long commitIndex, long appliedIndex, List<Member> members) {

    /** {@code lag}: entries behind this node's commit index, -1 when unknown. */
    public record Member(String id, String raftAddress, String storageAddress, long commitIndex, long lag) {}

    static ClusterStatus of(StorageNode node) {
        RaftServer.Division d = node.division();
        var info = d.getInfo();
        long commit = d.getRaftLog().getLastCommittedIndex();
        Map<String, String> storage = node.stateMachine().storageAddresses();
        List<Member> members = new ArrayList<>();
        for (var peer : d.getGroup().getPeers()) {
            long peerCommit = -1;
            for (CommitInfoProto c : d.getCommitInfos()) {
                if (c.getServer().getId().toStringUtf8().equals(peer.getId().toString())) {
                    peerCommit = c.getCommitIndex();
                }
            }
            members.add(new Member(
                    peer.getId().toString(),
                    peer.getAddress(),
                    storage.getOrDefault(peer.getId().toString(), "-"),
                    peerCommit,
                    peerCommit < 0 ? -1 : Math.max(0, commit - peerCommit)));
        }
        var leader = info.getLeaderId();
        return new ClusterStatus(
                node.peers().self(),
                leader == null ? "-" : leader.toString(),
                info.getCurrentTerm(),
                commit,
                info.getLastAppliedIndex(),
                members);
    }
}
