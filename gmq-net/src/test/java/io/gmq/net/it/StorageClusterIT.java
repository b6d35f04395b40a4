package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ClusterDescription;
import io.gmq.client.GmqClient;
import io.gmq.testkit.QueueChecker;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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

    private StorageCluster storage;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void leaderKilledUnderQos1LoadLosesNothingAcknowledged() throws Exception {
        GmqProcess broker = startClusterAndBroker();
        GmqClient admin = cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(30)));
        Recorder.await("the storage group elects a leader", 60, () -> storage.leader() != null);
        admin.createTopic(TOPIC, 3);
        storage.awaitAllCaughtUp(admin);

        Recorder rec = new Recorder();
        for (int p = 0; p < 3; p++) {
            rec.startProducer(cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(60))), "p" + p, TOPIC);
        }
        for (int k = 0; k < KILLS; k++) {
            int before = rec.acknowledged.size() + 100;
            Recorder.await("acknowledgements before kill " + (k + 1), 90, () -> rec.acknowledged.size() >= before);
            String leader = storage.leader();
            rec.faultBegins();
            storage.node(leader).kill();
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
                return !g.leader().equals(leader)
                        && !StorageCluster.member(g, leader).up();
            });
            storage.start(leader); // rejoins, replays its Raft log, catches up from the new leader
            Recorder.await("node " + leader + " back up and caught up", 60, () -> {
                ClusterDescription.StorageGroup g =
                        admin.describeCluster().groups().get(0);
                return StorageCluster.member(g, leader).up()
                        && StorageCluster.member(g, leader).lag() >= 0
                        && StorageCluster.member(g, leader).lag() < 1_000;
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
                    storage.storagePort(n.id()),
                    Integer.parseInt(n.storageAddress().replaceAll(".*:", "")));
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void withoutAMajorityNothingIsAcknowledgedAndPublishingResumesWhenOneReturns() throws Exception {
        GmqProcess broker = startClusterAndBroker();
        GmqClient admin = cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(30)));
        Recorder.await("the storage group elects a leader", 60, () -> storage.leader() != null);
        admin.createTopic(TOPIC, 3);
        storage.awaitAllCaughtUp(admin);
        Recorder rec = new Recorder();
        for (int p = 0; p < 2; p++) {
            rec.startProducer(cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(60))), "p" + p, TOPIC);
        }
        Recorder.await("a first share is acknowledged", 60, () -> rec.acknowledged.size() >= 200);

        rec.faultBegins();
        String leader = storage.leader();
        List<String> followers =
                StorageCluster.IDS.stream().filter(id -> !id.equals(leader)).toList();
        for (String id : followers) {
            storage.node(id).kill();
        }
        // What was committed before the kills may still be answered; then nothing may be.
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(3));
        int settled = rec.acknowledged.size();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
        while (System.nanoTime() < until) {
            assertEquals(settled, rec.acknowledged.size(), "an acknowledgement without a majority");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }

        storage.start(followers.get(0));
        Recorder.await("publishing resumes with a majority", 90, () -> rec.acknowledged.size() >= settled + 50);
        rec.faultEnds();
        rec.stopProducers();
        cluster.drainWithFreshGroup(broker.address(), TOPIC, "check", rec, admin);
        System.out.printf("StorageClusterIT two down: %s%n", rec.summary());
        QueueChecker.check(rec.history()).assertValid();
    }

    private GmqProcess startClusterAndBroker() throws IOException {
        storage = StorageCluster.direct(cluster);
        storage.startAll();
        return storage.startBroker("broker");
    }
}
