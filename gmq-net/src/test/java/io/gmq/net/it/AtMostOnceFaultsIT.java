package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.PublishOption;
import io.gmq.QoS;
import io.gmq.client.GmqClient;
import io.gmq.client.internal.RemoteGmqClient;
import io.gmq.testkit.CheckResult;
import io.gmq.testkit.QueueChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * QoS 0 (at most once) under faults, with real processes: one storage process, two brokers, two
 * QoS 0 producers and a two-member consumer group spread over both brokers. The storage process is
 * SIGKILLed and restarted a few times, then broker 1 is SIGKILLed and its clients fail over.
 *
 * <p>Pass: {@link QueueChecker} in at-most-once mode ({@link QueueChecker.Options#qos0()}) finds no
 * duplicate at all (not even of a send whose outcome was unknown: the client never resends QoS 0),
 * nothing unexpected, one position per payload, and no consumer stepping back in a partition.
 * Losses are allowed and printed as figures.
 */
final class AtMostOnceFaultsIT extends ClusterTest {
    private static final String TOPIC = "qos0-faults";
    private static final String GROUP = "qos0";
    private static final int PARTITIONS = 3;
    private static final int STORAGE_KILLS = Integer.getInteger("gmq.faults.qos0StorageKills", 3);

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void qos0IsNeverDuplicatedAcrossStorageKillsAndABrokerKill() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        cluster.startStorage();
        GmqProcess b1 = cluster.startBroker("broker1");
        GmqProcess b2 = cluster.startBroker("broker2");
        String b1First = b1.address() + "," + b2.address();
        String b2First = b2.address() + "," + b1.address();
        GmqClient admin = cluster.client(Cluster.config(b2First, Duration.ofSeconds(20)));
        admin.createTopic(TOPIC, PARTITIONS);

        Recorder rec = new Recorder();
        GmqClient c1 = cluster.member(b1First, GROUP, "c1", rec);
        GmqClient c2 = cluster.member(b2First, GROUP, "c2", rec);
        c1.subscribe(TOPIC);
        c2.subscribe(TOPIC);
        rec.startProducer(
                cluster.client(Cluster.config(b1First, Duration.ofSeconds(5))), "p1", TOPIC, QoS.AT_MOST_ONCE);
        rec.startProducer(
                cluster.client(Cluster.config(b2First, Duration.ofSeconds(5))), "p2", TOPIC, QoS.AT_MOST_ONCE);
        Recorder.await("a first share is consumed", 60, () -> rec.consumed.size() >= 200);

        for (int k = 0; k < STORAGE_KILLS; k++) {
            int target = rec.acknowledged.size() + 50 + random.nextInt(200);
            Recorder.await(
                    "acknowledgements before storage kill " + (k + 1), 30, () -> rec.acknowledged.size() >= target);
            rec.faultBegins();
            cluster.killAndRestartStorage();
            int afterRestart = rec.consumed.size();
            Recorder.await(
                    "consumption resumes after storage kill " + (k + 1),
                    30,
                    () -> rec.consumed.size() >= afterRestart + 100);
            rec.faultEnds();
        }

        rec.faultBegins();
        b1.kill();
        int atKill = rec.consumed.size();
        Recorder.await(
                "both members consume through broker 2",
                45,
                () -> rec.consumed.size() >= atKill + 200
                        && b2.address().equals(((RemoteGmqClient) c1).currentBroker()));
        rec.faultEnds();
        rec.stopProducers();

        // One QoS 0 marker per partition, sent with no fault running: once a marker is consumed, every
        // earlier record of its partition has been delivered or is lost for good (order per partition).
        GmqClient tail = cluster.client(Cluster.config(b2.address(), Duration.ofSeconds(10)));
        List<String> markers = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            String marker = "tail-" + p;
            markers.add(marker);
            assertTrue(rec.publish(tail, "tail", TOPIC, marker, QoS.AT_MOST_ONCE, PublishOption.partition(p)));
        }
        Recorder.await("every partition's tail marker is consumed", 30, () -> rec.consumed.containsAll(markers));

        CheckResult result = QueueChecker.check(rec.history(), QueueChecker.Options.qos0());
        System.out.printf(
                "AtMostOnceFaultsIT: seed %d, %d storage SIGKILLs + 1 broker SIGKILL, %s; QoS 0 lost %d of %d sent"
                        + " (%d of them acknowledged by the broker), duplicated %d%n",
                seed,
                STORAGE_KILLS,
                rec.summary(),
                result.lost(),
                result.attempted(),
                result.lostAcknowledged(),
                result.duplicated());
        result.assertValid();
        assertEquals(0, result.duplicated(), "QoS 0 is at most once");
    }
}
