package io.gmq.net.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import io.gmq.net.security.ServerSecurity;
import io.gmq.net.server.GmqServer;
import io.gmq.net.storage.RemoteStorage;
import io.gmq.net.testing.FreePorts;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchReader;
import io.gmq.storage.FetchResult;
import io.gmq.storage.Storage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Storage cluster nodes in this JVM on 127.0.0.1 for the cluster tests: each node's data under
 * {@code dir/node<ID>}, its GmqStorage on a port-0 listener, and every node and connection the
 * test opened closed by {@link #close}.
 */
final class InProcessNodes implements AutoCloseable {
    static final TopicPartition P0 = new TopicPartition("orders", 0);

    /** Running nodes by id; a test stops one with {@code nodes.remove(id).close()}. */
    final Map<String, GmqServer> nodes = new LinkedHashMap<>();

    private final Path dir;
    private final List<AutoCloseable> owned = new ArrayList<>();

    InProcessNodes(Path dir) {
        this.dir = dir;
    }

    /** Starts node {@code id} of the cluster {@code peers} (ID=HOST:PORT,...); {@code join}: outside the group until added. */
    void start(String id, String peers, boolean join) {
        GmqConfig config = GmqConfig.builder().dataDir(dir(id)).build();
        nodes.put(
                id,
                GmqServer.storageNode(
                        config,
                        "127.0.0.1",
                        0,
                        ServerSecurity.none(),
                        ClusterPeers.parse(id, peers),
                        "127.0.0.1",
                        join));
    }

    /** Starts nodes 1, 2 and 3 on Raft ports below the ephemeral range and waits for a leader; returns their peer list. */
    String startThree() {
        StringBuilder b = new StringBuilder();
        for (String id : List.of("1", "2", "3")) {
            b.append(b.length() == 0 ? "" : ",")
                    .append(id)
                    .append("=127.0.0.1:")
                    .append(FreePorts.pick());
        }
        String peers = b.toString();
        for (String id : List.of("1", "2", "3")) {
            start(id, peers, false);
        }
        await("a leader", () -> !leaderId().equals("-"));
        return peers;
    }

    Path dir(String id) {
        return dir.resolve("node" + id);
    }

    String address(String id) {
        return "127.0.0.1:" + nodes.get(id).port();
    }

    /** A GmqStorage connection to node {@code id}, closed with the nodes. */
    Storage client(String id) {
        return own(RemoteStorage.connect(address(id), 8 << 20));
    }

    <T extends AutoCloseable> T own(T closeable) {
        owned.add(closeable);
        return closeable;
    }

    /** The leader as a running node knows it, or "-". */
    String leaderId() {
        for (GmqServer n : nodes.values()) {
            String leader = n.cluster().leader();
            if (!leader.isEmpty() && nodes.containsKey(leader)) {
                return leader;
            }
        }
        return "-";
    }

    /** A running node that does not lead. */
    String aFollower() {
        String leader = leaderId();
        return nodes.keySet().stream()
                .filter(id -> !id.equals(leader))
                .findFirst()
                .orElseThrow();
    }

    /** Node {@code id}'s own replica's end of {@link #P0}, or -1 while it has none. */
    long replicaEnd(String id) {
        try {
            return nodes.get(id).cluster().replica(P0).partitionInfo(P0).highWatermark();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    ByteBuffer replicaBytes(String id) {
        return nodes.get(id)
                .cluster()
                .replica(P0)
                .fetch(P0, 0, 1 << 20, 0)
                .join()
                .records();
    }

    static ByteBuffer batch(String value) {
        BatchBuilder b = new BatchBuilder(64);
        b.add(1_000L, null, value.getBytes(StandardCharsets.UTF_8), List.of());
        return b.buildCopy();
    }

    /** The values of {@link #P0} from {@code from}, each at the offset after the one before. */
    static List<String> read(Storage s, long from) {
        FetchResult r = s.fetch(P0, from, 1 << 20, 0).join();
        assertFalse(r.outOfRange());
        List<String> out = new ArrayList<>();
        BatchReader reader = new BatchReader(r.records());
        while (reader.next()) {
            assertEquals(from + out.size(), reader.offset());
            out.add(new String(reader.value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    /** Polls {@code condition} for up to 30 s; a GmqException from it means "not yet" (a node electing or catching up). */
    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        GmqException last = null;
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (GmqException e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what, last);
            }
            try {
                Thread.sleep(20); // polling interval of the condition, not a synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Override
    public void close() throws Exception {
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
        owned.clear();
        nodes.values().forEach(GmqServer::close);
        nodes.clear();
    }
}
