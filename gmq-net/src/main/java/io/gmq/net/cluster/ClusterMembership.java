package io.gmq.net.cluster;

import io.gmq.ClusterDescription;
import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.net.storage.RemoteStorage;
import io.gmq.net.storage.StorageShards;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.ReconfigurationInProgressException;
import org.apache.ratis.protocol.exceptions.ReconfigurationTimeoutException;
import org.apache.ratis.protocol.exceptions.SetConfigurationException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds and removes members of the storage cluster (cluster add-node, cluster remove-node) with
 * Ratis's {@code setConfiguration} in each of its Raft groups, one group after the other: joint
 * consensus, made by the group's leader, one node per change. Every group has the same members;
 * a change cut short between groups is completed by running the same command again.
 *
 * <p>Adding: the new node runs already, started with {@code --join} (empty Raft groups, so it
 * holds no election). This node first asks it over Raft who it is ({@link #PROBE_MILLIS} at most),
 * then asks each group's leader for the new configuration. The leader sends the new node its whole Raft
 * log (there are no snapshots), and once it is within Ratis's catch-up gap commits the joint
 * configuration and then the new one; the new node applies every entry to its replica as any
 * member does. Removing: the leader commits a configuration without the node; a removed leader
 * steps down after committing it and the others elect a leader; the removed node's Raft server
 * shuts down ({@link StorageNode#whenRaftStops}).
 *
 * <p>Every change is a compare-and-set against the configuration this node saw, so two
 * concurrent changes cannot both pass their checks. A change waits at most
 * {@link #CHANGE_TIMEOUT_MILLIS}; past that the answer is DEADLINE_EXCEEDED (the leader may still
 * complete it: cluster describe tells).
 */
final class ClusterMembership {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterMembership.class);
    /** How long a node to add may take to answer (it may still be starting). */
    static final long PROBE_MILLIS = 5_000;
    /** The longest a change may take, the new node's catch-up included; below the 30 s of a storage call. */
    static final long CHANGE_TIMEOUT_MILLIS = 20_000;
    /** After a change: how long the answer waits for a leader that shows the new membership. */
    static final long SETTLE_MILLIS = 5_000;

    private final StorageNode node;
    private final Supplier<ClusterDescription> describeHere;
    private final int maxInboundBytes;

    ClusterMembership(StorageNode node, Supplier<ClusterDescription> describeHere, int maxInboundBytes) {
        this.node = node;
        this.describeHere = describeHere;
        this.maxInboundBytes = maxInboundBytes;
    }

    /**
     * Makes the running node {@code id} at {@code raftAddress} a member of the cluster: of the
     * metadata group first, then of the data groups {@link Placement#afterAdd} moves to it; the
     * cluster after the change. Adding a node that is a member of the metadata group already (a
     * change cut short) completes the moves.
     */
    synchronized ClusterDescription add(String id, String raftAddress) {
        ClusterPeers.checkNewNode(id, raftAddress);
        List<RaftPeer> current = stableMembers(node.metadata());
        boolean inMetadata = false;
        for (RaftPeer p : current) {
            if (p.getId().toString().equals(id) && p.getAddress().equals(raftAddress)) {
                inMetadata = true;
            } else if (p.getId().toString().equals(id)) {
                throw new GmqException(
                        ErrorCode.ALREADY_EXISTS,
                        "node " + id + " is already a member of the storage cluster (Raft " + p.getAddress()
                                + "); members: " + line(current));
            } else if (p.getAddress().equals(raftAddress)) {
                throw new GmqException(
                        ErrorCode.ALREADY_EXISTS,
                        raftAddress + " is the Raft address of member " + p.getId() + "; members: " + line(current));
            }
        }
        RaftPeer added = RaftPeer.newBuilder().setId(id).setAddress(raftAddress).build();
        List<RaftPeer> nodes = new ArrayList<>(current);
        if (!inMetadata) {
            nodes.add(added);
        }
        Map<Integer, List<String>> groups = dataMembers();
        List<Placement.Move> moves = Placement.afterAdd(groups, ids(nodes), id);
        if (inMetadata && moves.isEmpty()) {
            throw new GmqException(
                    ErrorCode.ALREADY_EXISTS,
                    "node " + id + " is already a member of the storage cluster (Raft " + raftAddress + "); members: "
                            + line(current));
        }
        if (!inMetadata) {
            probe(added);
            LOG.info("adding node {} at {} to the storage cluster {}", id, raftAddress, line(current));
            change(node.metadata(), current, nodes, "adding node " + id + " to group " + StorageShards.METADATA);
        }
        move(moves, nodes, null);
        LOG.info("node {} is a member of the storage cluster: {}", id, line(nodes));
        return describeAfter(nodes, Placement.apply(groups, moves), null);
    }

    /**
     * Removes member {@code id} (a leader too) from the cluster: its data group replicas move to
     * the other nodes ({@link Placement#afterRemove}), then it leaves the metadata group (its
     * membership is the cluster's, and leaving it stops the node); the cluster after the change.
     */
    synchronized ClusterDescription remove(String id) {
        ClusterPeers.checkNodeId(id);
        List<RaftPeer> current = stableMembers(node.metadata());
        List<RaftPeer> next =
                current.stream().filter(p -> !p.getId().toString().equals(id)).toList();
        if (next.size() == current.size()) {
            throw new GmqException(
                    ErrorCode.NOT_FOUND,
                    "node " + id + " is not a member of the storage cluster; members: " + line(current));
        }
        if (next.isEmpty()) {
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "node " + id + " is the only member of the storage cluster, which keeps at least one node;"
                            + " add another node first");
        }
        LOG.info("removing node {} from the storage cluster {}", id, line(current));
        Map<Integer, List<String>> groups = dataMembers();
        List<Placement.Move> moves = Placement.afterRemove(groups, ids(next), id);
        move(moves, current, id);
        change(node.metadata(), current, next, "removing node " + id + " from group " + StorageShards.METADATA);
        LOG.info("node {} is no longer a member of the storage cluster: {}", id, line(next));
        return describeAfter(next, Placement.apply(groups, moves), id);
    }

    /**
     * Carries out {@code moves}, one group change after the other: the joining node gets an empty
     * member of the group first (so the leader can bring it up to date), the leaving one, unless it
     * is {@code leaving} the cluster, drops its member and replica once the change committed.
     */
    private void move(List<Placement.Move> moves, List<RaftPeer> nodes, String leaving) {
        for (Placement.Move m : moves) {
            RaftShard shard = node.data(m.group());
            List<RaftPeer> before = members(shard);
            List<RaftPeer> after = new ArrayList<>();
            for (RaftPeer p : before) {
                if (!p.getId().toString().equals(m.out())) {
                    after.add(p);
                }
            }
            String what = "group " + shard.name() + ": " + (m.out() == null ? "" : "node " + m.out() + " out")
                    + (m.out() != null && m.in() != null ? ", " : "")
                    + (m.in() == null ? "" : "node " + m.in() + " in");
            if (m.in() != null) {
                RaftPeer in = nodes.stream()
                        .filter(p -> p.getId().toString().equals(m.in()))
                        .findFirst()
                        .orElseThrow();
                after.add(RaftPeer.newBuilder()
                        .setId(in.getId())
                        .setAddress(in.getAddress())
                        .build());
                GroupHosts.add(shard, in);
            }
            LOG.info("storage cluster: {}", what);
            change(shard, before, after, what);
            node.forgetLeader(shard);
            if (m.out() != null && !m.out().equals(leaving)) {
                nodes.stream()
                        .filter(p -> p.getId().toString().equals(m.out()))
                        .findFirst()
                        .ifPresent(out -> GroupHosts.remove(shard, out));
            }
        }
    }

    /** Data group index -> its members now, as its configuration says. */
    private Map<Integer, List<String>> dataMembers() {
        Map<Integer, List<String>> groups = new TreeMap<>();
        for (int i = 0; i < StorageShards.DATA_GROUPS; i++) {
            groups.put(i, ids(members(node.data(i))));
        }
        return groups;
    }

    /**
     * {@code shard}'s members now: this node's latest configuration if it holds the group, else
     * as one of its members describes it.
     */
    private List<RaftPeer> members(RaftShard shard) {
        if (node.hosts(shard)) {
            return stableMembers(shard);
        }
        node.forgetLeader(shard);
        List<RaftPeer> peers = List.copyOf(node.view(shard).group().getPeers());
        if (peers.isEmpty()) {
            throw new GmqException(
                    ErrorCode.UNAVAILABLE, "no member of storage group " + shard.name() + " answered; retry");
        }
        return peers;
    }

    private static List<String> ids(Collection<RaftPeer> peers) {
        return peers.stream().map(p -> p.getId().toString()).collect(Collectors.toList());
    }

    /** The members as {@code ID=HOST:PORT,...}, sorted by id (the form of the cluster-peers file). */
    static String line(Collection<RaftPeer> peers) {
        Map<String, String> m = new LinkedHashMap<>();
        peers.forEach(p -> m.put(p.getId().toString(), p.getAddress()));
        return DataDirClaim.line(m);
    }

    /** This node's latest configuration of {@code shard}; FAILED_PRECONDITION while a change is under way. */
    private List<RaftPeer> stableMembers(RaftShard shard) {
        RaftConfiguration conf = node.division(shard).getRaftConf();
        if (!conf.getPreviousPeers().isEmpty()) {
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "a membership change of storage group " + shard.name() + " is under way ("
                            + line(conf.getPreviousPeers()) + " -> "
                            + line(conf.getCurrentPeers()) + "); retry when cluster describe shows it done");
        }
        if (conf.getCurrentPeers().isEmpty()) {
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "storage node " + node.peers().self() + " is not a member of the storage cluster yet"
                            + " (started with --join); send the change through a member");
        }
        return List.copyOf(conf.getCurrentPeers());
    }

    /**
     * Asks the Raft server at the new node's address who it is, for up to {@link #PROBE_MILLIS}:
     * it must answer, be that node, and not consider itself a member of a group already (a node
     * started without --join elects itself among its --peers, and the leader orders it to shut
     * down; a node of another cluster must not be merged into this one).
     */
    private void probe(RaftPeer peer) {
        RaftProperties props = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(1, TimeUnit.SECONDS));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROBE_MILLIS);
        String id = peer.getId().toString();
        try (RaftClient c = RaftClient.newBuilder()
                .setProperties(props)
                .setRaftGroup(RaftGroup.valueOf(StorageNode.GROUP_ID, peer))
                .setClientId(ClientId.randomId())
                .setRetryPolicy(RetryPolicies.noRetry())
                .build()) {
            while (true) {
                Exception failure;
                try {
                    GroupInfoReply r = c.getGroupManagementApi(peer.getId()).info(StorageNode.GROUP_ID);
                    checkProbeReply(peer, r);
                    return;
                } catch (GroupMismatchException e) {
                    throw new GmqException(
                            ErrorCode.FAILED_PRECONDITION,
                            "the Raft server at " + peer.getAddress() + " is not a GMQ storage node (" + e.getMessage()
                                    + ")");
                } catch (IOException | RuntimeException e) {
                    // Ratis's blocking client throws gRPC's StatusRuntimeException for a refused connection.
                    if (e instanceof GmqException g) {
                        throw g;
                    }
                    failure = e;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new GmqException(
                            ErrorCode.FAILED_PRECONDITION,
                            "node " + id + " does not answer at " + peer.getAddress() + " within " + PROBE_MILLIS
                                    + " ms (" + rootMessage(failure) + "); start it first with: storage --node-id " + id
                                    + " --join --peers <the members and it> --data-dir <an empty directory>, reachable"
                                    + " from every member at " + peer.getAddress() + ", then add it again");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // polling interval of the probe
            }
        } catch (IOException e) {
            throw new GmqException(ErrorCode.INTERNAL, "closing the probe of node " + id + ": " + e, e);
        }
    }

    private static void checkProbeReply(RaftPeer peer, GroupInfoReply r) {
        String id = peer.getId().toString();
        String answered = r.getRoleInfoProto().getSelf().getId().toStringUtf8();
        if (!answered.isEmpty() && !answered.equals(id)) {
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "the Raft server at " + peer.getAddress() + " is node " + answered + ", not node " + id);
        }
        Collection<RaftPeer> its = r.getGroup().getPeers();
        if (its.stream().anyMatch(p -> p.getId().equals(peer.getId()))) {
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "node " + id + " at " + peer.getAddress() + " is already a member of a storage group with "
                            + line(its) + " (it was not started with --join); start it again with --join and an"
                            + " empty --data-dir");
        }
    }

    /**
     * Asks {@code shard}'s leader (the Raft client finds it) for {@code next} if the configuration
     * is still {@code current}; waits at most {@link #CHANGE_TIMEOUT_MILLIS}.
     */
    private void change(RaftShard shard, List<RaftPeer> current, List<RaftPeer> next, String what) {
        SetConfigurationRequest.Arguments args = SetConfigurationRequest.Arguments.newBuilder()
                .setServersInCurrentConf(current)
                .setServersInNewConf(next)
                .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
                .build();
        RaftProperties props = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(
                props, TimeDuration.valueOf(CHANGE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
        RaftGroup group = RaftGroup.valueOf(shard.id(), current);
        RaftClient client = RaftClient.newBuilder()
                .setProperties(props)
                .setRaftGroup(group)
                .setClientId(ClientId.randomId())
                // A leader being elected or not ready yet: try again; the whole change is bounded below.
                .setRetryPolicy(RetryPolicies.retryForeverWithSleep(TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build();
        FutureTask<RaftClientReply> call = new FutureTask<>(() -> client.admin().setConfiguration(args));
        Thread t = new Thread(call, "gmq-cluster-membership");
        t.setDaemon(true);
        t.start();
        RaftClientReply reply;
        try {
            reply = call.get(CHANGE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new GmqException(
                    ErrorCode.DEADLINE_EXCEEDED,
                    what + ": no answer from the storage cluster's leader within " + CHANGE_TIMEOUT_MILLIS
                            + " ms; the leader may still complete it (a new node catching up a long Raft log):"
                            + " cluster describe shows the members");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GmqException(ErrorCode.UNAVAILABLE, what + ": interrupted", e);
        } catch (ExecutionException e) {
            throw refused(what, e.getCause());
        } finally {
            call.cancel(true);
            try {
                client.close();
            } catch (IOException e) {
                LOG.debug("closing the membership client: {}", e.toString());
            }
        }
        if (!reply.isSuccess()) {
            throw refused(what, reply.getException());
        }
    }

    /** A failed change, classified so the caller knows whether to fix something or retry. */
    private static GmqException refused(String what, Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ReconfigurationInProgressException) {
                return new GmqException(
                        ErrorCode.FAILED_PRECONDITION,
                        what + ": another membership change is under way; retry when cluster describe shows it done",
                        failure);
            }
            if (t instanceof ReconfigurationTimeoutException) {
                return new GmqException(
                        ErrorCode.FAILED_PRECONDITION,
                        what + ": the leader could not bring the new node up to date (it stopped answering the"
                                + " leader); check that it runs and that every member reaches its Raft address",
                        failure);
            }
            if (t instanceof SetConfigurationException) {
                return new GmqException(
                        ErrorCode.FAILED_PRECONDITION,
                        what + ": the storage cluster refused it (" + t.getMessage()
                                + "); if the membership changed meanwhile, check cluster describe and retry",
                        failure);
            }
        }
        return new GmqException(
                ErrorCode.UNAVAILABLE,
                what + ": the storage cluster did not answer (" + rootMessage(failure) + "); retry",
                failure);
    }

    /**
     * The cluster after a change as its leaders describe it, once each group shows the members
     * it should have ({@code nodes} for the metadata group, {@code data} for the data groups) and
     * a leader among them, and the leaders have heard from every member (at most
     * {@link #SETTLE_MILLIS}: a removed leader's successor is being elected, and a new leader has
     * not heard from the others yet). A node that removed itself asks a remaining member. When no
     * leader shows the new membership in time: the new members alone, their state unknown.
     */
    private ClusterDescription describeAfter(List<RaftPeer> nodes, Map<Integer, List<String>> data, String removed) {
        Map<String, Set<String>> expected = new LinkedHashMap<>();
        expected.put(StorageShards.METADATA, new TreeSet<>(ids(nodes)));
        data.forEach((g, members) -> expected.put(StorageShards.dataGroupName(g), new TreeSet<>(members)));
        Supplier<ClusterDescription> describe = node.peers().self().equals(removed)
                ? () -> describeThrough(expected.get(StorageShards.METADATA))
                : describeHere;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MILLIS);
        ClusterDescription settled = null;
        while (true) {
            try {
                ClusterDescription d = describe.get();
                if (!d.groups().isEmpty() && d.groups().stream().allMatch(g -> shows(g, expected.get(g.name())))) {
                    settled = d;
                    if (d.groups().stream().allMatch(g -> g.members().stream().allMatch(ClusterDescription.Node::up))) {
                        return d;
                    }
                }
            } catch (GmqException e) {
                LOG.debug("describing the cluster after a change: {}", e.getMessage());
            }
            if (System.nanoTime() - deadline > 0) {
                return settled != null ? settled : withoutState(nodes, expected);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // polling interval
        }
    }

    /** {@code g} has the members {@code expected} and a leader among them. */
    private static boolean shows(ClusterDescription.StorageGroup g, Set<String> expected) {
        Set<String> ids =
                g.members().stream().map(ClusterDescription.Node::id).collect(Collectors.toCollection(TreeSet::new));
        return expected != null && ids.equals(expected) && expected.contains(g.leader());
    }

    /** The description of a remaining member (this node is leaving), through its GmqStorage service. */
    private ClusterDescription describeThrough(Set<String> members) {
        Map<String, String> addresses = node.storageAddresses();
        for (String id : members) {
            String address = addresses.get(id);
            if (address == null) {
                continue;
            }
            try (RemoteStorage other = RemoteStorage.connect(address, maxInboundBytes)) {
                return other.describeCluster();
            } catch (GmqException e) {
                LOG.debug("member {} at {} did not describe the cluster: {}", id, address, e.getMessage());
            }
        }
        throw new GmqException(ErrorCode.UNAVAILABLE, "no remaining member described the cluster");
    }

    private ClusterDescription withoutState(List<RaftPeer> nodes, Map<String, Set<String>> expected) {
        Map<String, String> storage = node.storageAddresses();
        List<ClusterDescription.StorageGroup> groups = new ArrayList<>();
        for (var e : expected.entrySet()) {
            List<ClusterDescription.Node> members = new ArrayList<>();
            for (RaftPeer p : nodes) {
                String id = p.getId().toString();
                if (e.getValue().contains(id)) {
                    members.add(new ClusterDescription.Node(
                            id, p.getAddress(), storage.getOrDefault(id, ""), false, -1, -1));
                }
            }
            groups.add(new ClusterDescription.StorageGroup(e.getKey(), "", -1, -1, members));
        }
        return new ClusterDescription(groups);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root != null && root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root == null) {
            return "no answer";
        }
        String message = String.valueOf(root.getMessage());
        if (message.contains("Connection refused")) {
            return "connection refused";
        }
        return root.getClass().getSimpleName() + ": " + message;
    }
}
