package io.gmq.net.storage;

import io.gmq.ClusterDescription;
import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.PartitionInfo;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.storage.AppendResult;
import io.gmq.storage.FetchResult;
import io.gmq.storage.GroupMembership;
import io.gmq.storage.Storage;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker's storage: every call goes to the node that leads the storage group that answers it
 * ({@link StorageShards}: a partition's data group for appends, fetches and offsets, the metadata
 * group for topics and consumer groups), so it takes one hop to the replica that answers it
 * rather than two through another node.
 *
 * <p>Only an address the broker was given is used: a leader announcing another is reached
 * through the seed. The leaders come from DescribeCluster, asked through the seed connection (any node of the
 * broker's {@code --storage} list) every {@link #REFRESH_MILLIS} ms and at once after a call to
 * a leader's connection fails. Until the leader is known, and after such a failure, calls go
 * through the seed, whose node forwards them to the leader itself: routing saves a hop, it is
 * never what makes an answer right. A storage that is not a cluster answers DescribeCluster with
 * FAILED_PRECONDITION; then every call goes through the seed and nothing is asked again.
 */
public final class LeaderRoutedStorage implements Storage {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderRoutedStorage.class);
    static final long REFRESH_MILLIS = 1_000;

    private final RemoteStorage seed;
    /** The addresses the broker was given: the only ones it opens connections to. */
    private final Set<String> known;

    private final Function<String, RemoteStorage> connect;
    /** Storage address -> connection, one per node that has led while this broker ran. */
    private final Map<String, RemoteStorage> nodes = new ConcurrentHashMap<>();

    private final ScheduledExecutorService refresher;
    /** Group name -> the leader's address and connection; a group without one goes through the seed. */
    private volatile Map<String, Route> routes = Map.of();

    private String unknownLogged = "";

    private record Route(String address, Storage storage) {}

    /**
     * @param seed    a connection to any node (or to a single storage process)
     * @param known   the storage addresses the broker was given; a leader whose announced address
     *                is not one of them is reached through the seed (its announced name may not
     *                resolve or route from here: NAT, proxies, another network)
     * @param connect opens a connection to one of {@code known}
     */
    public LeaderRoutedStorage(RemoteStorage seed, Set<String> known, Function<String, RemoteStorage> connect) {
        this.seed = seed;
        this.known = Set.copyOf(known);
        this.connect = connect;
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gmq-storage-leader");
            t.setDaemon(true);
            return t;
        });
        refresher.execute(this::refresh);
    }

    /**
     * A broker's storage over {@code hostPorts} (one storage process, or any nodes of a cluster
     * separated by commas), every connection with {@code security}.
     */
    public static LeaderRoutedStorage connect(
            String hostPorts, int maxInboundMessageBytes, io.gmq.wire.ChannelSecurity security) {
        return new LeaderRoutedStorage(
                RemoteStorage.connect(hostPorts, maxInboundMessageBytes, security),
                Set.copyOf(StorageAddresses.parse(hostPorts).hostPorts()),
                node -> RemoteStorage.connect(node, maxInboundMessageBytes, security));
    }

    /** The storage address the metadata group's calls go to now, or "" while they go through the seed. */
    public String routedTo() {
        return routedTo(StorageShards.METADATA);
    }

    /** The storage address the calls of {@code group} go to now, or "" while they go through the seed. */
    public String routedTo(String group) {
        Route r = routes.get(group);
        return r == null ? "" : r.address();
    }

    private void refresh() {
        boolean again = true;
        try {
            route(seed.describeCluster());
        } catch (GmqException e) {
            if (e.code() == ErrorCode.FAILED_PRECONDITION) {
                again = false; // not a cluster: the seed is the storage
                LOG.debug("storage is not replicated; no leader routing ({})", e.getMessage());
            }
            useSeed();
        } catch (RuntimeException e) {
            LOG.debug("describing the storage cluster failed: {}", e.toString());
            useSeed();
        }
        if (again && !refresher.isShutdown()) {
            refresher.schedule(this::refresh, REFRESH_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void route(ClusterDescription cluster) {
        Map<String, Route> next = new HashMap<>();
        for (ClusterDescription.StorageGroup g : cluster.groups()) {
            String address = g.members().stream()
                    .filter(n -> n.id().equals(g.leader()))
                    .map(ClusterDescription.Node::storageAddress)
                    .findFirst()
                    .orElse("");
            if (address.isEmpty()) {
                continue;
            }
            if (!known.contains(address)) {
                if (!address.equals(unknownLogged)) {
                    unknownLogged = address;
                    LOG.info(
                            "the leader of storage group {} announces {}, which is not in --storage {}: calls go"
                                    + " through the node the broker holds (list every node's address as it announces"
                                    + " it to route to the leader)",
                            g.name(),
                            address,
                            known);
                }
                continue;
            }
            next.put(g.name(), new Route(address, nodes.computeIfAbsent(address, connect)));
            if (!address.equals(routedTo(g.name()))) {
                LOG.info("storage calls of group {} go to its leader at {}", g.name(), address);
            }
        }
        routes = Map.copyOf(next);
    }

    private void useSeed() {
        routes = Map.of();
    }

    /** A call to a leader's connection found it gone: its groups go through the seed, and the leaders are asked again now. */
    private void leaderLost(Storage failed) {
        Map<String, Route> now = routes;
        if (failed == seed || now.values().stream().noneMatch(r -> r.storage() == failed)) {
            return;
        }
        Map<String, Route> next = new HashMap<>(now);
        next.values().removeIf(r -> r.storage() == failed);
        routes = Map.copyOf(next);
        if (!refresher.isShutdown()) {
            refresher.execute(this::refresh);
        }
    }

    /** Where the calls of {@code group} go now: its leader, or the seed. */
    private Storage target(String group) {
        Route r = routes.get(group);
        return r == null ? seed : r.storage();
    }

    private static String groupOf(TopicPartition tp) {
        return StorageShards.dataGroupName(StorageShards.dataGroupOf(tp));
    }

    private <T> T call(Function<Storage, T> call) {
        return call(StorageShards.METADATA, call);
    }

    private <T> T call(String group, Function<Storage, T> call) {
        Storage target = target(group);
        try {
            return call.apply(target);
        } catch (GmqException e) {
            if (e.code() == ErrorCode.UNAVAILABLE) {
                leaderLost(target);
            }
            throw e;
        }
    }

    private <T> CompletableFuture<T> callAsync(String group, Function<Storage, CompletableFuture<T>> call) {
        Storage target = target(group);
        CompletableFuture<T> f = call.apply(target);
        f.whenComplete((r, e) -> {
            if (io.gmq.wire.GrpcErrors.unwrap(e) instanceof GmqException g && g.code() == ErrorCode.UNAVAILABLE) {
                leaderLost(target);
            }
        });
        return f;
    }

    private void run(java.util.function.Consumer<Storage> call) {
        call(s -> {
            call.accept(s);
            return null;
        });
    }

    // ---- Storage, each call on the current route ------------------------------------------------

    @Override
    public TopicInfo createTopic(String topic, int partitions) {
        return call(s -> s.createTopic(topic, partitions));
    }

    @Override
    public TopicInfo createTopic(String topic, int partitions, io.gmq.TopicConfig config) {
        return call(s -> s.createTopic(topic, partitions, config));
    }

    @Override
    public TopicInfo alterTopicConfig(String topic, Map<String, String> changes) {
        return call(s -> s.alterTopicConfig(topic, changes));
    }

    @Override
    public TopicInfo createPartitions(String topic, int partitions) {
        return call(s -> s.createPartitions(topic, partitions));
    }

    @Override
    public TopicInfo topic(String topic, boolean autoCreate) {
        return call(s -> s.topic(topic, autoCreate));
    }

    @Override
    public List<TopicInfo> listTopics() {
        return call(Storage::listTopics);
    }

    @Override
    public void deleteTopic(String topic) {
        run(s -> s.deleteTopic(topic));
    }

    @Override
    public CompletableFuture<AppendResult> append(TopicPartition tp, ByteBuffer batch, boolean awaitDurable) {
        return callAsync(groupOf(tp), s -> s.append(tp, batch, awaitDurable));
    }

    @Override
    public CompletableFuture<io.gmq.storage.ScheduleResult> schedule(
            TopicPartition tp, ByteBuffer batch, long deliverAtMillis, boolean awaitDurable) {
        // The leader of the partition's group answers (a storage cluster keeps no schedule: it refuses).
        return callAsync(groupOf(tp), s -> s.schedule(tp, batch, deliverAtMillis, awaitDurable));
    }

    @Override
    public CompletableFuture<AppendResult> append(
            TopicPartition tp, ByteBuffer batch, boolean awaitDurable, int routedPartitions) {
        return callAsync(groupOf(tp), s -> s.append(tp, batch, awaitDurable, routedPartitions));
    }

    @Override
    public CompletableFuture<FetchResult> fetch(TopicPartition tp, long offset, int maxBytes, long maxWaitMillis) {
        return callAsync(groupOf(tp), s -> s.fetch(tp, offset, maxBytes, maxWaitMillis));
    }

    @Override
    public CompletableFuture<FetchResult> fetch(
            TopicPartition tp, long offset, int maxBytes, long maxWaitMillis, Executor executor) {
        return callAsync(groupOf(tp), s -> s.fetch(tp, offset, maxBytes, maxWaitMillis, executor));
    }

    @Override
    public PartitionInfo partitionInfo(TopicPartition tp) {
        return call(groupOf(tp), s -> s.partitionInfo(tp));
    }

    @Override
    public long resolveOffset(TopicPartition tp, OffsetSpec spec) {
        return call(groupOf(tp), s -> s.resolveOffset(tp, spec));
    }

    @Override
    public GroupMembership joinGroup(String group, String clientId, Set<String> topics, long sessionTimeoutMillis) {
        return call(s -> s.joinGroup(group, clientId, topics, sessionTimeoutMillis));
    }

    // Share groups go where the metadata group's calls go: a single storage process holds their
    // state; a replicated cluster refuses them (FAILED_PRECONDITION).

    @Override
    public String joinShareGroup(
            String group,
            String clientId,
            Set<String> topics,
            long sessionTimeoutMillis,
            io.gmq.Ordering ordering,
            OffsetSpec startFrom) {
        return call(s -> s.joinShareGroup(group, clientId, topics, sessionTimeoutMillis, ordering, startFrom));
    }

    @Override
    public void shareHeartbeat(String group, String memberId) {
        run(s -> s.shareHeartbeat(group, memberId));
    }

    @Override
    public void leaveShareGroup(String group, String memberId) {
        run(s -> s.leaveShareGroup(group, memberId));
    }

    @Override
    public CompletableFuture<io.gmq.storage.ShareAcquisition> acquire(
            String group, String memberId, TopicPartition tp, int maxRecords, long lockMillis, long maxWaitMillis) {
        return callAsync(
                StorageShards.METADATA, s -> s.acquire(group, memberId, tp, maxRecords, lockMillis, maxWaitMillis));
    }

    @Override
    public CompletableFuture<Integer> settle(
            String group,
            String memberId,
            TopicPartition tp,
            long[] offsets,
            io.gmq.storage.ShareAck kind,
            long millis) {
        return callAsync(StorageShards.METADATA, s -> s.settle(group, memberId, tp, offsets, kind, millis));
    }

    @Override
    public io.gmq.ShareGroupDescription describeShareGroup(String group) {
        return call(s -> s.describeShareGroup(group));
    }

    @Override
    public GroupMembership joinGroup(
            String group, String clientId, Set<String> topics, long sessionTimeoutMillis, String groupInstanceId) {
        return call(s -> s.joinGroup(group, clientId, topics, sessionTimeoutMillis, groupInstanceId));
    }

    @Override
    public GroupMembership heartbeat(String group, String memberId, int generation, Set<TopicPartition> owned) {
        return call(s -> s.heartbeat(group, memberId, generation, owned));
    }

    @Override
    public void leaveGroup(String group, String memberId) {
        run(s -> s.leaveGroup(group, memberId));
    }

    @Override
    public Set<TopicPartition> commitOffsets(
            String group, String memberId, int generation, Map<TopicPartition, Long> offsets) {
        return call(s -> s.commitOffsets(group, memberId, generation, offsets));
    }

    @Override
    public Map<TopicPartition, Long> committedOffsets(String group, Collection<TopicPartition> partitions) {
        return call(s -> s.committedOffsets(group, partitions));
    }

    @Override
    public List<String> listGroups() {
        return call(Storage::listGroups);
    }

    @Override
    public GroupDescription describeGroup(String group) {
        return call(s -> s.describeGroup(group));
    }

    @Override
    public void deleteGroup(String group) {
        run(s -> s.deleteGroup(group));
    }

    @Override
    public void resetOffsets(String group, String topic, OffsetSpec spec) {
        run(s -> s.resetOffsets(group, topic, spec));
    }

    @Override
    public void resetOffsets(String group, TopicPartition partition, OffsetSpec spec) {
        run(s -> s.resetOffsets(group, partition, spec));
    }

    @Override
    public ClusterDescription describeCluster() {
        return call(Storage::describeCluster);
    }

    @Override
    public ClusterDescription addStorageNode(String nodeId, String raftAddress) {
        return call(s -> s.addStorageNode(nodeId, raftAddress));
    }

    @Override
    public ClusterDescription removeStorageNode(String nodeId) {
        return call(s -> s.removeStorageNode(nodeId));
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        nodes.values().forEach(RemoteStorage::close);
        nodes.clear();
        seed.close();
    }
}
