package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ClusterDescription;
import io.gmq.GmqException;
import io.gmq.client.GmqClient;
import io.gmq.testkit.QueueChecker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The storage cluster (docs/CLUSTER.md) under faults other than a crash, three real storage
 * processes on loopback addresses:
 *
 * <ul>
 *   <li>a network partition that isolates the leader ({@link PeerNetwork}: every connection
 *       between nodes passes a link the test can cut);</li>
 *   <li>the leader frozen by SIGSTOP for longer than an election, then resumed;</li>
 *   <li>a consumer group consuming while the leader is killed and restarted.</li>
 * </ul>
 *
 * Each judges what producers and consumers saw with {@link QueueChecker}: nothing acknowledged
 * lost, nothing unexpected, one payload per offset (two leaders acknowledging would put two
 * payloads at one offset).
 */
final class StorageClusterFaultsIT extends ClusterTest {
    /** Idempotent QoS 1 producers: every payload in the log once, the client's own resends included. */
    private static final QueueChecker.Options STORED_ONCE =
            QueueChecker.Options.defaults().withStoredOnce(true);

    private static final String TOPIC = "replicated";
    private static final String GROUP = "workers";
    /** A frozen leader stays stopped this long: several election timeouts (1-2 s). */
    private static final long FREEZE_NANOS = TimeUnit.SECONDS.toNanos(6);

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void partitionedLeaderAcknowledgesNothingAndItsUncommittedTailIsDiscarded() throws Exception {
        StorageCluster storage = StorageCluster.partitionable(cluster);
        PeerNetwork network = storage.network();
        storage.startAll();
        GmqProcess broker = storage.startBroker("broker");
        GmqClient admin = cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(30)));
        Recorder.await("the storage group elects a leader", 60, () -> storage.leader() != null);
        String old = storage.leader();
        List<String> majority = others(old);
        // The links carry the Raft traffic: the leader replicates to each follower, each follower
        // (its Raft client, announcing its address) calls the leader.
        Recorder.await(
                "Raft connections through the links",
                30,
                () -> majority.stream()
                        .allMatch(f -> network.connections(old, f) > 0 && network.connections(f, old) > 0));
        admin.createTopic(TOPIC, 3);
        storage.awaitAllCaughtUp(admin);

        // A broker on the old leader's side of the partition (it keeps reaching that node): its
        // producer stands for the clients of the minority side.
        GmqProcess minorityBroker = storage.startBrokerBeside("broker-minority", old);
        Recorder rec = new Recorder();
        for (int p = 0; p < 3; p++) {
            rec.startProducer(
                    cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(60))), "majority" + p, TOPIC);
        }
        rec.startProducer(
                cluster.client(Cluster.config(minorityBroker.address(), Duration.ofSeconds(2))), "minority", TOPIC);
        // A group member on the majority side consumes throughout. While a group exists, the leader
        // proposes session expiry every second, so the old leader appends an entry of its own in
        // the seconds before it notices it lost its majority: an uncommitted tail for certain.
        cluster.member(broker.address(), GROUP, "c1", rec).subscribe(TOPIC);
        Recorder.await(
                "both sides acknowledged and the member consumes before the partition",
                60,
                () -> rec.acknowledged.size() >= 300
                        && rec.acknowledgedBy("minority") >= 20
                        && rec.consumed.size() > 0);

        rec.faultBegins();
        network.isolate(old);
        long cut = System.nanoTime();
        Recorder.await(
                "node " + old + " (isolated) to give up leading", 30, () -> !old.equals(storage.reportedLeader(old)));
        Recorder.await(
                "the majority to elect a new leader",
                30,
                () -> storage.leader() != null && !old.equals(storage.leader()));
        String elected = storage.leader();
        System.out.printf(
                "StorageClusterFaultsIT: node %s isolated; node %s leads the majority after %d ms%n",
                old, elected, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut));
        // The minority producer sends one message at a time: once a send after the step-down has
        // failed, no earlier send is still waiting for an answer.
        int failedBefore = rec.unacknowledgedBy("minority");
        Recorder.await("a minority send to fail", 30, () -> rec.unacknowledgedBy("minority") > failedBefore);
        int minorityAcked = rec.acknowledgedBy("minority");
        int majorityAcked = rec.acknowledged.size();
        Recorder.await("the majority to go on acknowledging", 60, () -> rec.acknowledged.size() >= majorityAcked + 200);
        Recorder.await(
                "the minority producer to keep trying", 30, () -> rec.unacknowledgedBy("minority") >= failedBefore + 3);
        assertEquals(minorityAcked, rec.acknowledgedBy("minority"), "the isolated old leader acknowledged a send");
        assertTrue(
                network.refusedConnections(old, majority.get(0)) > 0
                        || network.refusedConnections(majority.get(0), old) > 0,
                "nobody tried to cross the partition: the links do not carry the Raft traffic");

        network.heal();
        Recorder.await(
                "node " + old + " to follow the majority's leader",
                60,
                () -> storage.leader() != null
                        && storage.leader().equals(storage.reportedLeader(old))
                        && !old.equals(storage.leader()));
        Recorder.await(
                "node " + old + " to discard its uncommitted tail",
                30,
                () -> storage.log(old).contains("Truncating segments"));
        Recorder.await(
                "the minority producer to be acknowledged again",
                60,
                () -> rec.acknowledgedBy("minority") >= minorityAcked + 10);
        rec.faultEnds();
        rec.stopProducers();

        cluster.drainWithFreshGroup(broker.address(), TOPIC, "check", rec, admin);
        System.out.printf("StorageClusterFaultsIT partition: %s%n", rec.summary());
        QueueChecker.check(rec.history(), STORED_ONCE).assertValid();
        assertReplicasIdentical(storage, admin);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void frozenLeaderIsReplacedAndStepsDownWhenItResumes() throws Exception {
        StorageCluster storage = StorageCluster.direct(cluster);
        storage.startAll();
        Recorder.await("the storage group elects a leader", 60, () -> storage.leader() != null);
        String old = storage.leader();
        List<String> followers = others(old);
        // The main broker holds a follower (a broker holding the frozen node would wait with it);
        // a second broker holds only the node about to be frozen.
        GmqProcess broker = storage.startBroker("broker", followers.toArray(String[]::new));
        GmqProcess staleBroker = storage.startBroker("broker-frozen", old);
        GmqClient admin = cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(30)));
        admin.createTopic(TOPIC, 3);
        storage.awaitAllCaughtUp(admin);
        long termBefore = admin.describeCluster().groups().get(0).term();

        Recorder rec = new Recorder();
        for (int p = 0; p < 3; p++) {
            rec.startProducer(
                    cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(60))), "follower" + p, TOPIC);
        }
        rec.startProducer(
                cluster.client(Cluster.config(staleBroker.address(), Duration.ofSeconds(3))), "frozen", TOPIC);
        Recorder.await(
                "acknowledgements through both brokers",
                60,
                () -> rec.acknowledged.size() >= 300 && rec.acknowledgedBy("frozen") >= 20);

        rec.faultBegins();
        GmqProcess frozen = storage.node(old);
        frozen.suspend();
        long stopped = System.nanoTime();
        Recorder.await(
                "a new leader while node " + old + " is stopped",
                30,
                () -> storage.leader() != null && !old.equals(storage.leader()));
        String elected = storage.leader();
        long electedAfter = System.nanoTime() - stopped;
        int atElection = rec.acknowledged.size();
        Recorder.await("the new leader to acknowledge", 60, () -> rec.acknowledged.size() >= atElection + 100);
        // The fault's length, not a synchronisation: the node stays frozen well past an election.
        Recorder.await("node " + old + " frozen for 6 s", 30, () -> System.nanoTime() - stopped >= FREEZE_NANOS);
        assertEquals(old, storage.reportedLeader(old), "a frozen process logged nothing since it was stopped");
        frozen.resume();
        System.out.printf(
                "StorageClusterFaultsIT SIGSTOP: node %s stopped %d ms; node %s elected after %d ms%n",
                old,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped),
                elected,
                TimeUnit.NANOSECONDS.toMillis(electedAfter));

        Recorder.await(
                "node " + old + " to step down and follow node " + elected,
                30,
                () -> elected.equals(storage.reportedLeader(old)));
        assertTrue(storage.log(old).contains("this node stopped leading"), "node " + old + " logged its step-down");
        Recorder.await("cluster describe to show the old leader up and caught up", 30, () -> {
            ClusterDescription.StorageGroup g = group(admin);
            return g != null && g.leader().equals(elected) && caughtUp(g, old);
        });
        ClusterDescription.StorageGroup g = admin.describeCluster().groups().get(0);
        assertTrue(g.term() > termBefore, "the new leader's term " + g.term() + " is above " + termBefore);
        int frozenAcked = rec.acknowledgedBy("frozen");
        Recorder.await(
                "the resumed node's broker to be acknowledged again (through the new leader)",
                60,
                () -> rec.acknowledgedBy("frozen") >= frozenAcked + 10);
        rec.faultEnds();
        rec.stopProducers();

        cluster.drainWithFreshGroup(broker.address(), TOPIC, "check", rec, admin);
        System.out.printf("StorageClusterFaultsIT SIGSTOP: %s%n", rec.summary());
        QueueChecker.check(rec.history(), STORED_ONCE).assertValid();
        assertReplicasIdentical(storage, admin);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void consumerGroupKeepsItsOffsetsAndOwnersAcrossALeaderChange() throws Exception {
        StorageCluster storage = StorageCluster.direct(cluster);
        storage.startAll();
        GmqProcess broker = storage.startBroker("broker");
        GmqClient admin = cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(30)));
        Recorder.await("the storage group elects a leader", 60, () -> storage.leader() != null);
        admin.createTopic(TOPIC, 4);
        storage.awaitAllCaughtUp(admin);

        Recorder rec = new Recorder();
        GroupSampler sampler = cluster.own(new GroupSampler(admin, GROUP, rec));
        cluster.member(broker.address(), GROUP, "c1", rec).subscribe(TOPIC);
        cluster.member(broker.address(), GROUP, "c2", rec).subscribe(TOPIC);
        for (int p = 0; p < 2; p++) {
            rec.startProducer(cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(60))), "p" + p, TOPIC);
        }
        Recorder.await(
                "both members consume and commit",
                60,
                () -> rec.consumed.size() >= 200
                        && sampler.memberClientIds().size() == 2
                        && sampler.last() != null
                        && sampler.last().partitions().stream().anyMatch(p -> p.committedOffset() > 0));

        String old = storage.leader();
        rec.faultBegins();
        storage.node(old).kill();
        long killed = System.nanoTime();
        int consumedAtKill = rec.consumed.size();
        Recorder.await(
                "a new leader after killing node " + old,
                30,
                () -> storage.leader() != null && !old.equals(storage.leader()));
        Recorder.await(
                "the group to consume again after the leader change",
                60,
                () -> rec.consumed.size() >= consumedAtKill + 100);
        long resumed = System.nanoTime();
        rec.faultEnds();
        storage.start(old);
        Recorder.await("node " + old + " back up and caught up", 60, () -> caughtUp(group(admin), old));
        long restarted = System.nanoTime();
        int consumedAtRestart = rec.consumed.size();
        Recorder.await(
                "the group to go on consuming with node " + old + " back",
                60,
                () -> rec.consumed.size() >= consumedAtRestart + 100);
        rec.stopProducers();
        rec.awaitAllAcknowledgedConsumed(60);
        System.out.printf(
                "StorageClusterFaultsIT group: leader %s killed; 100 deliveries after it within %d ms;"
                        + " back and caught up %d ms later; all consumed %d ms after the kill%n",
                old,
                TimeUnit.NANOSECONDS.toMillis(resumed - killed),
                TimeUnit.NANOSECONDS.toMillis(restarted - resumed),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
        int samples = sampler.samples.get();
        Recorder.await("a last sample of the group", 10, () -> sampler.samples.get() > samples);
        sampler.close();

        System.out.printf("StorageClusterFaultsIT group: %s, %d group samples%n", rec.summary(), sampler.samples.get());
        assertEquals(List.of(), sampler.violations, "a partition owned by two members at once");
        assertEquals(List.of(), sampler.commitRegressions, "a committed offset went back");
        assertTrue(sampler.samples.get() >= 50, "the group was sampled throughout: " + sampler.samples.get());
        QueueChecker.check(rec.history(), STORED_ONCE).assertValid();
    }

    /** The storage group as cluster describe shows it, or null while it cannot be asked (an election). */
    private static ClusterDescription.StorageGroup group(GmqClient admin) {
        try {
            return admin.describeCluster().groups().get(0);
        } catch (GmqException e) {
            return null;
        }
    }

    private static boolean caughtUp(ClusterDescription.StorageGroup g, String id) {
        if (g == null) {
            return false;
        }
        ClusterDescription.Node n = StorageCluster.member(g, id);
        return n.up() && n.lag() >= 0 && n.lag() < 1_000;
    }

    private static List<String> others(String id) {
        return StorageCluster.IDS.stream().filter(n -> !n.equals(id)).toList();
    }

    /**
     * Every replica's partition segments hold the same bytes once each has applied the whole
     * committed log. Replicas apply on their own, so one may be behind for a moment; the check
     * waits until their files stop differing in length, then compares them byte for byte.
     */
    private static void assertReplicasIdentical(StorageCluster storage, GmqClient admin) {
        storage.awaitAllCaughtUp(admin); // every group
        Recorder.await("every replica to apply the committed log", 60, () -> {
            Map<String, byte[]> first = storage.replicaSegments(StorageCluster.IDS.get(0));
            return StorageCluster.IDS.stream().allMatch(id -> sameLengths(first, storage.replicaSegments(id)));
        });
        Map<String, byte[]> expected = storage.replicaSegments(StorageCluster.IDS.get(0));
        assertTrue(expected.size() >= 3, "a segment per partition: " + expected.keySet());
        assertNotEquals(0, expected.values().stream().mapToInt(b -> b.length).sum());
        for (String id : StorageCluster.IDS) {
            Map<String, byte[]> actual = storage.replicaSegments(id);
            assertEquals(expected.keySet(), actual.keySet(), "node " + id + "'s segment files");
            for (String file : expected.keySet()) {
                assertArrayEquals(expected.get(file), actual.get(file), "node " + id + "'s " + file);
            }
        }
    }

    private static boolean sameLengths(Map<String, byte[]> a, Map<String, byte[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        return a.keySet().stream().allMatch(f -> a.get(f).length == b.get(f).length);
    }
}
