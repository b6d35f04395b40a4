package io.gmq.net.cluster;

import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a storage node's Raft server starts: the groups it recovers from its directories, the data
 * groups {@link Placement} gives it at its first start, a state machine for each group it holds,
 * and the starts it refuses (a corrupt Raft log, a node that was removed).
 */
final class RaftServerStart {
    /** Written at a node's first start once its data groups are placed ({@link #placeDataGroups}). */
    static final String PLACED_FILE = "data-groups-placed";

    private static final RaftGroupId GROUP_ID = StorageNode.GROUP_ID;

    private static final Logger LOG = LoggerFactory.getLogger(RaftServerStart.class);

    private RaftServerStart() {}

    /**
     * Starts node {@code peers.self()}'s Raft server over {@code dataDir} (as a member of its
     * {@code --peers}, or with an empty metadata group when it {@code join}s), recording in
     * {@code machines} the state machine of every group it holds.
     */
    static RaftServer start(
            ClusterPeers peers,
            Path dataDir,
            GmqConfig config,
            boolean join,
            RaftProperties props,
            List<RaftShard> shards,
            Map<RaftGroupId, RaftGroup> groups,
            Map<RaftGroupId, StorageStateMachine> machines) {
        Map<RaftGroupId, RaftShard> byId = new HashMap<>();
        shards.forEach(s -> byId.put(s.id(), s));
        RaftServer server = null;
        try {
            server = RaftServer.newBuilder()
                    .setServerId(RaftPeerId.valueOf(peers.self()))
                    .setGroup(join ? RaftGroup.valueOf(GROUP_ID) : groups.get(GROUP_ID))
                    .setProperties(props)
                    // A new state machine each time a group is added here: one that left this node was closed.
                    .setStateMachineRegistry(id -> {
                        RaftShard shard = byId.get(id);
                        var sm = new StorageStateMachine(
                                shard.name(),
                                dataDir.resolve("state").resolve(shard.name()),
                                config,
                                shard.isMetadata() ? dataDir : null);
                        machines.put(id, sm);
                        return sm;
                    })
                    .setOption(RaftStorage.StartupOption.RECOVER)
                    .build();
            server.start();
            if (!join) {
                refuseIfRemoved(server, peers);
            }
            placeDataGroups(server, peers, dataDir, join, shards, groups);
        } catch (GmqException e) {
            closeQuietly(server);
            throw e;
        } catch (IOException | RuntimeException e) {
            closeQuietly(server); // a server that failed to start still holds its log's lock and threads
            throw startFailure(peers, dataDir, e);
        }
        return server;
    }

    /**
     * At a node's first start: adds the data groups {@link Placement} gives it among its
     * {@code --peers} (none when it joins: cluster add-node places it), and records that in
     * {@link #PLACED_FILE}. Later starts recover the groups it holds then (Ratis finds their
     * directories): which ones changes with cluster add-node and remove-node. A data directory
     * from before placement (no file) gets the groups it lacks, as its first start would have.
     */
    private static void placeDataGroups(
            RaftServer server,
            ClusterPeers peers,
            Path dataDir,
            boolean join,
            List<RaftShard> shards,
            Map<RaftGroupId, RaftGroup> groups)
            throws IOException {
        Path placed = dataDir.resolve(PLACED_FILE);
        if (Files.exists(placed)) {
            return;
        }
        if (!join) {
            Set<RaftGroupId> recovered = new HashSet<>();
            server.getGroupIds().forEach(recovered::add);
            RaftPeerId self = RaftPeerId.valueOf(peers.self());
            for (RaftShard s : shards.subList(1, shards.size())) {
                RaftGroup g = groups.get(s.id());
                if (!recovered.contains(s.id()) && g.getPeer(self) != null) {
                    addGroup(server, peers, g);
                }
            }
        }
        Path tmp = dataDir.resolve(PLACED_FILE + ".tmp");
        Files.writeString(
                tmp, "data groups placed at the first start; since then by cluster add-node and remove-node\n");
        Files.move(tmp, placed, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The members of group {@code index} in a new cluster of {@code peers}: every node for the
     * metadata group, the nodes {@link Placement#initial} gives a data group. A data group prefers
     * its first node as its leader (a Ratis priority): each group elects on its own timeout, and
     * the node that starts first would otherwise win every election, so one node would lead every
     * group. A preferred node that returns after a failure takes its group's leadership back once
     * it has caught up (a short transfer, like Kafka's preferred leader election). The metadata
     * group prefers none: the node that leads it keeps it.
     */
    static List<RaftPeer> members(ClusterPeers peers, int index) {
        List<String> ids = new ArrayList<>(peers.raftAddresses().keySet());
        Collections.sort(ids);
        List<String> placed = index == 0 ? ids : Placement.initial(ids, index - 1);
        String preferred = index == 0 ? null : placed.get(0);
        return placed.stream()
                .map(id -> RaftPeer.newBuilder()
                        .setId(RaftPeerId.valueOf(id))
                        .setAddress(peers.raftAddresses().get(id))
                        .setPriority(id.equals(preferred) ? 1 : 0)
                        .build())
                .toList();
    }

    private static void addGroup(RaftServer server, ClusterPeers peers, RaftGroup group) throws IOException {
        RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(
                ClientId.randomId(), RaftPeerId.valueOf(peers.self()), StorageNode.CALL_IDS.incrementAndGet(), group));
        if (!reply.isSuccess()) {
            throw reply.getException() != null
                    ? reply.getException()
                    : new IOException("adding Raft group " + group.getGroupId() + " failed");
        }
    }

    private static void closeQuietly(RaftServer server) {
        if (server == null) {
            return;
        }
        try {
            server.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing a Raft server that failed to start: {}", e.toString());
        }
    }

    /**
     * Why the Raft server did not start, said plainly: a Raft log that fails its checksums is
     * refused (this node may have acknowledged entries it no longer holds, so it must not vote or
     * serve until it is replaced), anything else is reported as it came.
     */
    private static GmqException startFailure(ClusterPeers peers, Path dataDir, Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.apache.ratis.protocol.exceptions.ChecksumException) {
                return new GmqException(
                        ErrorCode.DATA_LOSS,
                        "node " + peers.self() + ": the Raft log under " + dataDir.resolve("raft")
                                + " is corrupt (" + t.getMessage() + "); refusing to start with it. The other"
                                + " nodes hold every committed entry: remove this node from the cluster, clear its"
                                + " --data-dir and add it again (docs/OPERATIONS.md, storage cluster membership)",
                        e);
            }
        }
        return new GmqException(
                ErrorCode.UNAVAILABLE,
                "cannot start the Raft server of node " + peers.self() + " on " + peers.selfAddress() + ": " + e,
                e);
    }

    /**
     * A node whose Raft log's latest configuration leaves it out was removed (cluster remove-node):
     * started as a member it would wait forever for a leader that never contacts it.
     */
    private static void refuseIfRemoved(RaftServer server, ClusterPeers peers) throws IOException {
        var conf = server.getDivision(GROUP_ID).getRaftConf();
        var members = conf.getCurrentPeers();
        if (!members.isEmpty() && conf.getPeer(RaftPeerId.valueOf(peers.self())) == null) {
            server.close();
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "node " + peers.self() + " was removed from the storage cluster: its Raft log's membership is "
                            + ClusterMembership.line(members) + "; to add it again, start it with an empty --data-dir"
                            + " and --join, then run cluster add-node");
        }
    }
}
