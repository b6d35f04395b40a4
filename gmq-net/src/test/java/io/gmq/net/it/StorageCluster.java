package io.gmq.net.it;

import io.gmq.ClusterDescription;
import io.gmq.GmqException;
import io.gmq.client.GmqClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A replicated storage cluster of three {@code gmq.jar storage} processes (docs/CLUSTER.md) owned
 * by a {@link Cluster}, so every node is stopped after the test, also when it fails. Each node
 * keeps its GmqStorage and Raft ports across restarts (brokers and peers know it by them), chosen
 * free on 127.0.0.1 before the first start. Nodes talk to each other directly on 127.0.0.1
 * ({@link #direct}) or through a {@link PeerNetwork} that can partition them ({@link
 * #partitionable}).
 */
final class StorageCluster {
    static final List<String> IDS = List.of("1", "2", "3");

    /** The metadata group's leader as a node reports it (the one the tests stop, freeze or isolate). */
    private static final Pattern LEADER = Pattern.compile("storage group metadata leader is node (\\S+)");
    /** Test-only logging: Ratis reports at INFO when it discards a tail of a node's Raft log. */
    private static final String RAFT_LOG_TRUNCATION =
            "--log-level=info,org.apache.ratis.server.raftlog.segmented.SegmentedRaftLogWorker=info";

    private final Cluster cluster;
    private final PeerNetwork network;
    private final Map<String, GmqProcess> nodes = new LinkedHashMap<>();
    private final Map<String, Integer> starts = new HashMap<>();
    private final Map<String, Integer> storagePorts = new HashMap<>();
    private final String peers;

    private StorageCluster(Cluster cluster, boolean partitionable) throws IOException {
        this.cluster = cluster;
        Map<String, List<Integer>> ports = new LinkedHashMap<>();
        StringBuilder b = new StringBuilder();
        for (String id : IDS) {
            int raft = freePort();
            int storage = freePort();
            storagePorts.put(id, storage);
            ports.put(id, List.of(storage, raft));
            b.append(b.length() == 0 ? "" : ",")
                    .append(id)
                    .append('=')
                    .append(partitionable ? PeerNetwork.host(id) : "127.0.0.1")
                    .append(':')
                    .append(raft);
        }
        this.peers = b.toString();
        this.network = partitionable ? cluster.own(new PeerNetwork(cluster.dir, ports)) : null;
    }

    /** Three nodes that reach each other directly on 127.0.0.1. Call {@link #startAll()}. */
    static StorageCluster direct(Cluster cluster) throws IOException {
        return new StorageCluster(cluster, false);
    }

    /** Three nodes whose every connection to each other goes through a {@link PeerNetwork}. */
    static StorageCluster partitionable(Cluster cluster) throws IOException {
        return new StorageCluster(cluster, true);
    }

    PeerNetwork network() {
        return network;
    }

    void startAll() throws IOException {
        for (String id : IDS) {
            start(id);
        }
    }

    /** Starts node {@code id} (again, after it was killed) on its ports and data directory. */
    void start(String id) throws IOException {
        int n = starts.merge(id, 1, Integer::sum);
        List<String> jvmArgs = new ArrayList<>();
        if (network != null) {
            jvmArgs.addAll(network.jvmArgs(id));
        }
        nodes.put(
                id,
                cluster.own(GmqProcess.start(
                        "node" + id + "-" + n,
                        cluster.logs,
                        jvmArgs,
                        "storage",
                        "--host",
                        network != null ? PeerNetwork.host(id) : "127.0.0.1",
                        "--port",
                        Integer.toString(storagePorts.get(id)),
                        "--data-dir",
                        dataDir(id).toString(),
                        "--node-id",
                        id,
                        "--peers",
                        peers,
                        RAFT_LOG_TRUNCATION)));
    }

    /** The current process of node {@code id}. */
    GmqProcess node(String id) {
        return nodes.get(id);
    }

    int storagePort(String id) {
        return storagePorts.get(id);
    }

    /** Where a broker reaches node {@code id}: its port, or its broker link in a partitionable cluster. */
    String brokerAddress(String id) {
        return network != null ? network.brokerAddress(id) : "127.0.0.1:" + storagePorts.get(id);
    }

    /** A broker given the storage nodes {@code ids} (all three unless named), in that order. */
    GmqProcess startBroker(String name, String... ids) throws IOException {
        List<String> storage = new ArrayList<>();
        for (String id : ids.length == 0 ? IDS.toArray(String[]::new) : ids) {
            storage.add(brokerAddress(id));
        }
        return broker(name, String.join(",", storage));
    }

    private GmqProcess broker(String name, String storage) throws IOException {
        return cluster.own(GmqProcess.start(
                name, cluster.logs, "broker", "--host", "127.0.0.1", "--port", "0", "--storage", storage));
    }

    /**
     * A broker on node {@code id}'s side of any partition: it reaches that node directly, never
     * through a link {@link PeerNetwork#isolate} cuts.
     */
    GmqProcess startBrokerBeside(String name, String id) throws IOException {
        return broker(name, "127.0.0.1:" + storagePorts.get(id));
    }

    Path dataDir(String id) {
        return cluster.dir.resolve("node" + id);
    }

    /** The leader two running nodes last reported (a suspended one still counts as running), or null. */
    String leader() {
        Map<String, Integer> votes = new HashMap<>();
        for (String id : nodes.keySet()) {
            String last = reportedLeader(id);
            if (last != null && nodes.get(last).process.isAlive()) {
                votes.merge(last, 1, Integer::sum);
            }
        }
        return votes.entrySet().stream()
                .filter(e -> e.getValue() >= 2)
                .map(Map.Entry::getKey)
                .findFirst()
                .orElse(null);
    }

    /** The leader the running process of node {@code id} last reported, or null (none, during an election, or dead). */
    String reportedLeader(String id) {
        GmqProcess p = nodes.get(id);
        if (p == null || !p.process.isAlive()) {
            return null;
        }
        String last = null;
        Matcher m = LEADER.matcher(log(id));
        while (m.find()) {
            last = m.group(1);
        }
        return last != null && nodes.containsKey(last) ? last : null;
    }

    /** What the current process of node {@code id} has logged so far. */
    String log(String id) {
        try {
            return Files.readString(nodes.get(id).stderr, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until {@code cluster describe} (asked through {@code admin}) shows every node up and
     * holding every committed entry (lag 0); call it while nothing is being written. A test's faults
     * assume three working replicas: a node that never received the log would leave one fault away
     * from no quorum (Ratis does not count the vote of a node with an empty log once entries are
     * committed), and the test would fail later with a less telling timeout.
     */
    void awaitAllCaughtUp(GmqClient admin) {
        Recorder.await("every storage node up and caught up (lag 0)", 30, () -> {
            try {
                return admin.describeCluster().groups().stream()
                        .allMatch(g -> g.members().stream().allMatch(n -> n.up() && n.lag() == 0));
            } catch (GmqException e) {
                return false; // an election: ask again
            }
        });
    }

    static ClusterDescription.Node member(ClusterDescription.StorageGroup g, String id) {
        return g.members().stream().filter(n -> n.id().equals(id)).findFirst().orElseThrow();
    }

    /**
     * The partition log segments of node {@code id}'s replicas of the data groups, applied from
     * their Raft logs: {@code DATA_DIR/state/data-N/logs/TOPIC/PARTITION/BASE_OFFSET.log}, by path
     * relative to {@code state/}. (The metadata group's replica holds no partition data; a read
     * there may leave an empty segment behind, on the node that answered it.)
     */
    Map<String, byte[]> replicaSegments(String id) {
        Path state = dataDir(id).resolve("state");
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(state)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".log")
                            && state.relativize(f).toString().startsWith("data-"))
                    .toList()) {
                out.put(state.relativize(f).toString(), Files.readAllBytes(f));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
