package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.GroupDescription;
import io.gmq.client.GmqClient;
import io.gmq.client.internal.RemoteGmqClient;
import io.gmq.testkit.QueueChecker;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Broker faults with real processes: a SIGKILLed broker (its clients fail over to the other broker)
 * and a SIGSTOPped broker held past the session timeout (its members are fenced by generation).
 * Consumers of one group span both brokers; the storage's view of the group is sampled throughout
 * ({@link GroupSampler}) so the checker knows about reassignments and committed offsets, and so a
 * partition with two owners is caught.
 */
final class BrokerFaultsIT extends ClusterTest {
    /** Idempotent QoS 1 producers: every payload in the log once, the client's own resends included. */
    private static final QueueChecker.Options STORED_ONCE =
            QueueChecker.Options.defaults().withStoredOnce(true);

    private static final String TOPIC = "broker-faults";
    private static final String GROUP = "live";

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void clientsOfAKilledBrokerFailOverAndNothingAcknowledgedIsLost() throws Exception {
        cluster.startStorage();
        GmqProcess b1 = cluster.startBroker("broker1");
        GmqProcess b2 = cluster.startBroker("broker2");
        String b1First = b1.address() + "," + b2.address();
        String b2First = b2.address() + "," + b1.address();
        GmqClient admin = cluster.client(Cluster.config(b2First, Duration.ofSeconds(20)));
        admin.createTopic(TOPIC, 3);

        Recorder rec = new Recorder();
        GmqClient c1 = cluster.member(b1First, GROUP, "c1", rec);
        GmqClient c2 = cluster.member(b2First, GROUP, "c2", rec);
        c1.subscribe(TOPIC);
        c2.subscribe(TOPIC);
        GroupSampler sampler = cluster.own(new GroupSampler(admin, GROUP, rec));
        rec.startProducer(cluster.client(Cluster.config(b1First, Duration.ofSeconds(30))), "p1", TOPIC);
        rec.startProducer(cluster.client(Cluster.config(b2First, Duration.ofSeconds(30))), "p2", TOPIC);

        Recorder.await("a first share is consumed", 60, () -> rec.consumed.size() >= 200);
        rec.faultBegins();
        b1.kill();
        int atKill = rec.acknowledged.size();
        Recorder.await("publishing goes on through broker 2", 60, () -> rec.acknowledged.size() >= atKill + 200);
        rec.faultEnds();
        rec.stopProducers();
        rec.awaitAllAcknowledgedConsumed(90);
        sampler.close();

        System.out.printf("BrokerFaultsIT kill: %s, %d group samples%n", rec.summary(), sampler.samples.get());
        assertEquals(b2.address(), ((RemoteGmqClient) c1).currentBroker(), "c1 failed over to broker 2");
        assertEquals(List.of(), sampler.violations, "one owner per partition");
        QueueChecker.check(rec.history(), STORED_ONCE).assertValid();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void brokerStoppedPastSessionTimeoutIsFencedAndProgressNeverGoesBack() throws Exception {
        cluster.startStorage();
        GmqProcess b1 = cluster.startBroker("broker1");
        // Registered after b1, so closed before it: a stopped broker always gets SIGCONT first.
        cluster.own(() -> signal(b1, "CONT"));
        GmqProcess b2 = cluster.startBroker("broker2");
        GmqClient admin = cluster.client(Cluster.config(b2.address(), Duration.ofSeconds(20)));
        admin.createTopic(TOPIC, 3);

        Recorder rec = new Recorder();
        // c1 knows only broker 1: while it is stopped, its member is the stale side.
        GmqClient c1 = cluster.member(b1.address(), GROUP, "c1", rec);
        GmqClient c2 = cluster.member(b2.address(), GROUP, "c2", rec);
        c1.subscribe(TOPIC);
        c2.subscribe(TOPIC);
        GroupSampler sampler = cluster.own(new GroupSampler(admin, GROUP, rec));
        rec.startProducer(cluster.client(Cluster.config(b2.address(), Duration.ofSeconds(30))), "p1", TOPIC);
        rec.startProducer(cluster.client(Cluster.config(b2.address(), Duration.ofSeconds(30))), "p2", TOPIC);

        Recorder.await("both members own partitions", 60, () -> ownersOf(sampler.last()) == 2);
        Recorder.await("a first share is consumed", 60, () -> rec.consumed.size() >= 200);
        int generationAtStop = sampler.last().generation();
        rec.faultBegins();
        signal(b1, "STOP");
        // Session timeout 3 s: the storage expires the stopped broker's member and rebalances.
        Recorder.await("the stopped broker's member is expelled", 60, () -> {
            GroupDescription d = sampler.last();
            return d.generation() > generationAtStop
                    && !sampler.memberClientIds().contains("c1")
                    && ownersOf(d) == 1;
        });
        int whileStopped = rec.consumed.size();
        Recorder.await(
                "c2 consumes everything while broker 1 is stopped",
                60,
                () -> rec.consumed.size() >= whileStopped + 100);
        signal(b1, "CONT");
        int afterResume = rec.acknowledged.size();
        Recorder.await(
                "publishing goes on after broker 1 resumes", 60, () -> rec.acknowledged.size() >= afterResume + 200);
        rec.faultEnds();
        rec.stopProducers();
        rec.awaitAllAcknowledgedConsumed(90);
        sampler.close();

        System.out.printf(
                "BrokerFaultsIT stop: %s, %d group samples, generation %d -> %d%n",
                rec.summary(),
                sampler.samples.get(),
                generationAtStop,
                sampler.last().generation());
        assertTrue(b1.process.isAlive(), "the resumed broker still runs");
        assertEquals(List.of(), sampler.violations, "one owner per partition, during the pause too");
        // Commit regressions (a stale ack accepted) are among the checker's rules.
        QueueChecker.check(rec.history(), STORED_ONCE).assertValid();
    }

    private static int ownersOf(GroupDescription d) {
        if (d == null) {
            return 0;
        }
        int owners = 0;
        for (GroupDescription.Member m : d.members()) {
            if (!m.assigned().isEmpty()) {
                owners++;
            }
        }
        return owners;
    }

    private static void signal(GmqProcess p, String signal) throws IOException, InterruptedException {
        if (!p.process.isAlive()) {
            return;
        }
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.process.pid()))
                .inheritIO()
                .start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + p.process.pid() + " failed");
        }
    }
}
