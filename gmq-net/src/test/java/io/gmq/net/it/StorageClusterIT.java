package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ClusterDescription;
import io.gmq.client.GmqClient;
import io.gmq.testkit.QueueChecker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A replicated storage cluster of three real processes on 127.0.0.1 (docs/CLUSTER.md), one broker
 * given all three, several QoS 1 producers. The leader of the storage group is SIGKILLed under
 * load and restarted, again and again; {@link QueueChecker} must find nothing acknowledged lost,
 * nothing unexpected and one payload per offset.
 */
final class StorageClusterIT extends ClusterTest {
    private static final String TOPIC = "replicated";
    /** Leader SIGKILLs; -Dgmq.cluster.kills=10 for the count (about 15 s each on 2 cores). */
    private static final int KILLS = Integer.getInteger("gmq.cluster.kills", 3);

    private static final Pattern LEADER = Pattern.compile("storage group leader is node (\\S+)");

    private final Map<String, GmqProcess> nodes = new LinkedHashMap<>();
    private final Map<String, Integer> starts = new HashMap<>();
    /** Storage ports fixed per node: a restarted node must be where the broker's --storage list says. */
    private final Map<String, Integer> storagePorts = new HashMap<>();

    private String peers;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void leaderKilledUnderQos1LoadLosesNothingAcknowledged() throws Exception {
        GmqProcess broker = startClusterAndBroker();
        GmqClient admin = cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(30)));
        Recorder.await("the storage group elects a leader", 60, () -> leader() != null);
        admin.createTopic(TOPIC, 3);

        Recorder rec = new Recorder();
        for (int p = 0; p < 3; p++) {
            rec.startProducer(cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(60))), "p" + p, TOPIC);
        }
        for (int k = 0; k < KILLS; k++) {
            int before = rec.acknowledged.size() + 100;
            Recorder.await("acknowledgements before kill " + (k + 1), 90, () -> rec.acknowledged.size() >= before);
            String leader = leader();
            rec.faultBegins();
            nodes.get(leader).kill();
            long killed = System.nanoTime();
            int atKill = rec.acknowledged.size();
            Recorder.await(
                    "publishing resumes after killing leader " + leader,
                    90,
                    () -> rec.acknowledged.size() >= atKill + 20);
            System.out.printf(
                    "StorageClusterIT: leader %s killed; 20 acknowledgements after it within %d ms%n",
                    leader, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
            rec.faultEnds();
            Recorder.await("cluster describe to show node " + leader + " down", 30, () -> {
                ClusterDescription.StorageGroup g =
                        admin.describeCluster().groups().get(0);
                return !g.leader().equals(leader) && !node(g, leader).up();
            });
            startNode(leader); // rejoins, replays its Raft log, catches up from the new leader
            Recorder.await("node " + leader + " back up and caught up", 60, () -> {
                ClusterDescription.StorageGroup g =
                        admin.describeCluster().groups().get(0);
                return node(g, leader).up()
                        && node(g, leader).lag() >= 0
                        && node(g, leader).lag() < 1_000;
            });
        }
        rec.stopProducers();

        cluster.drainWithFreshGroup(broker.address(), TOPIC, "check", rec, admin);
        System.out.printf("StorageClusterIT: %d leader SIGKILLs, %s%n", KILLS, rec.summary());
        QueueChecker.check(rec.history()).assertValid();
        assertTrue(broker.process.isAlive(), "the broker survived every storage leader crash");

        ClusterDescription.StorageGroup g = admin.describeCluster().groups().get(0);
        assertEquals(3, g.members().size());
        for (ClusterDescription.Node n : g.members()) {
            assertEquals(
                    storagePorts.get(n.id()),
                    Integer.parseInt(n.storageAddress().replaceAll(".*:", "")));
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void withoutAMajorityNothingIsAcknowledgedAndPublishingResumesWhenOneReturns() throws Exception {
        GmqProcess broker = startClusterAndBroker();
        GmqClient admin = cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(30)));
        Recorder.await("the storage group elects a leader", 60, () -> leader() != null);
        admin.createTopic(TOPIC, 3);
        Recorder rec = new Recorder();
        for (int p = 0; p < 2; p++) {
            rec.startProducer(cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(60))), "p" + p, TOPIC);
        }
        Recorder.await("a first share is acknowledged", 60, () -> rec.acknowledged.size() >= 200);

        rec.faultBegins();
        String leader = leader();
        List<String> followers =
                nodes.keySet().stream().filter(id -> !id.equals(leader)).toList();
        for (String id : followers) {
            nodes.get(id).kill();
        }
        // What was committed before the kills may still be answered; then nothing may be.
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(3));
        int settled = rec.acknowledged.size();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
        while (System.nanoTime() < until) {
            assertEquals(settled, rec.acknowledged.size(), "an acknowledgement without a majority");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }

        startNode(followers.get(0));
        Recorder.await("publishing resumes with a majority", 90, () -> rec.acknowledged.size() >= settled + 50);
        rec.faultEnds();
        rec.stopProducers();
        cluster.drainWithFreshGroup(broker.address(), TOPIC, "check", rec, admin);
        System.out.printf("StorageClusterIT two down: %s%n", rec.summary());
        QueueChecker.check(rec.history()).assertValid();
    }

    private GmqProcess startClusterAndBroker() throws IOException {
        StringBuilder b = new StringBuilder();
        for (String id : List.of("1", "2", "3")) {
            b.append(b.length() == 0 ? "" : ",")
                    .append(id)
                    .append("=127.0.0.1:")
                    .append(freePort());
            storagePorts.put(id, freePort());
        }
        peers = b.toString();
        for (String id : List.of("1", "2", "3")) {
            startNode(id);
        }
        List<String> storage = new ArrayList<>();
        nodes.values().forEach(n -> storage.add(n.address()));
        return cluster.own(GmqProcess.start(
                "broker",
                cluster.logs,
                "broker",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--storage",
                String.join(",", storage)));
    }

    private static ClusterDescription.Node node(ClusterDescription.StorageGroup g, String id) {
        return g.members().stream().filter(n -> n.id().equals(id)).findFirst().orElseThrow();
    }

    private void startNode(String id) throws IOException {
        int n = starts.merge(id, 1, Integer::sum);
        nodes.put(
                id,
                cluster.own(GmqProcess.start(
                        "node" + id + "-" + n,
                        cluster.logs,
                        "storage",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(storagePorts.get(id)),
                        "--data-dir",
                        cluster.dir.resolve("node" + id).toString(),
                        "--node-id",
                        id,
                        "--peers",
                        peers)));
    }

    /** The leader two live nodes last reported, or null. */
    private String leader() {
        Map<String, Integer> votes = new HashMap<>();
        for (GmqProcess p : nodes.values()) {
            if (!p.process.isAlive()) {
                continue;
            }
            String last = null;
            try {
                Matcher m = LEADER.matcher(Files.readString(p.stderr, StandardCharsets.UTF_8));
                while (m.find()) {
                    last = m.group(1);
                }
            } catch (IOException e) {
                continue;
            }
            if (last != null
                    && nodes.containsKey(last)
                    && nodes.get(last).process.isAlive()) {
                votes.merge(last, 1, Integer::sum);
            }
        }
        return votes.entrySet().stream()
                .filter(e -> e.getValue() >= 2)
                .map(Map.Entry::getKey)
                .findFirst()
                .orElse(null);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
