package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.client.GmqClient;
import io.gmq.client.internal.RemoteGmqClient;
import io.gmq.testkit.QueueChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Faults of the client-broker link, with real processes: one storage process, one broker, and a
 * {@link TcpProxy} between every {@link GmqClient} (three QoS 1 producers, a two-member consumer
 * group) and the broker. At random moments under load the link is cut (connections dropped and
 * refused), reset (every connection aborted with a TCP RST, reconnects accepted) or slowed
 * (every chunk held back), then healed. The group is sampled through a direct admin connection.
 *
 * <p>Pass: sends that ran into a fault end as UNAVAILABLE or DEADLINE_EXCEEDED (recorded as
 * indeterminate), every client reconnects by itself after healing (no client is recreated),
 * everything acknowledged is consumed within a bounded time after the last fault, and
 * {@link QueueChecker} finds nothing lost, nothing unexpected, no forbidden duplicate.
 */
final class ClientLinkFaultsIT extends ClusterTest {
    private static final String TOPIC = "client-link";
    private static final String GROUP = "link";
    private static final int FAULTS = Integer.getInteger("gmq.faults.clientLinkFaults", 6);

    private enum Fault {
        CUT,
        RESET,
        DELAY
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void cutResetAndSlowClientLinksLoseNothingAcknowledgedAndClientsReconnectByThemselves() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        cluster.startStorage();
        GmqProcess broker = cluster.startBroker("broker");
        TcpProxy link = cluster.own(TcpProxy.to(broker.port));
        GmqClient admin = cluster.client(Cluster.config(broker.address(), Duration.ofSeconds(20)));
        admin.createTopic(TOPIC, 3);

        Recorder rec = new Recorder();
        List<RemoteGmqClient> linked = new ArrayList<>();
        GmqClient c1 = cluster.member(link.address(), GROUP, "c1", rec);
        GmqClient c2 = cluster.member(link.address(), GROUP, "c2", rec);
        linked.add((RemoteGmqClient) c1);
        linked.add((RemoteGmqClient) c2);
        c1.subscribe(TOPIC);
        c2.subscribe(TOPIC);
        GroupSampler sampler = cluster.own(new GroupSampler(admin, GROUP, rec));
        for (int p = 0; p < 3; p++) {
            // A short request timeout: a send caught by a fault ends as DEADLINE_EXCEEDED or UNAVAILABLE.
            GmqClient producer = cluster.client(Cluster.config(link.address(), Duration.ofSeconds(2)));
            linked.add((RemoteGmqClient) producer);
            rec.startProducer(producer, "p" + p, TOPIC);
        }
        Recorder.await("a first share is consumed", 60, () -> rec.consumed.size() >= 200);

        List<Fault> injected = new ArrayList<>();
        for (int k = 0; k < FAULTS; k++) {
            // Every kind once in the first three faults, then at random.
            Fault fault = k < Fault.values().length
                    ? Fault.values()[k]
                    : Fault.values()[random.nextInt(Fault.values().length)];
            injected.add(fault);
            int target = rec.acknowledged.size() + 20 + random.nextInt(200);
            Recorder.await("acknowledgements before fault " + (k + 1), 30, () -> rec.acknowledged.size() >= target);
            rec.faultBegins();
            int failuresBefore = linkFailures(rec);
            switch (fault) {
                case CUT -> {
                    link.cut();
                    Recorder.await(
                            "clients see the cut as UNAVAILABLE or DEADLINE_EXCEEDED",
                            20,
                            () -> linkFailures(rec) > failuresBefore);
                    link.resume();
                }
                case RESET -> {
                    int connectionsBefore = link.forwardedConnections();
                    link.reset();
                    // Each client opens a new connection of its own accord (none is told to).
                    Recorder.await(
                            "every client opens a new connection after the reset",
                            20,
                            () -> link.forwardedConnections() >= connectionsBefore + linked.size());
                }
                case DELAY -> {
                    link.delay(200 + random.nextInt(400));
                    int beforeDelay = rec.acknowledged.size();
                    Recorder.await("progress over a slow link", 30, () -> rec.acknowledged.size() >= beforeDelay + 5);
                    link.delay(0);
                }
            }
            Recorder.await(
                    "every client reconnects by itself after fault " + (k + 1) + " (" + fault + ")",
                    30,
                    () -> linked.stream().allMatch(c -> c.currentBroker() != null));
            int afterHeal = rec.acknowledged.size();
            int consumedAfterHeal = rec.consumed.size();
            Recorder.await(
                    "publishing and consuming resume after fault " + (k + 1) + " (" + fault + ")",
                    30,
                    () -> rec.acknowledged.size() >= afterHeal + 50 && rec.consumed.size() >= consumedAfterHeal + 50);
            rec.faultEnds();
        }
        rec.stopProducers();
        // Bounded: everything acknowledged reaches the group within 30 s of the last heal.
        rec.awaitAllAcknowledgedConsumed(30);
        sampler.close();

        System.out.printf(
                "ClientLinkFaultsIT: seed %d, faults %s, %s, %d group samples%n",
                seed, injected, rec.summary(), sampler.samples.get());
        assertTrue(linkFailures(rec) > 0, "a fault surfaced as UNAVAILABLE or DEADLINE_EXCEEDED");
        assertEquals(List.of(), sampler.violations, "one owner per partition");
        QueueChecker.check(rec.history()).assertValid();
    }

    private static int linkFailures(Recorder rec) {
        return rec.errorCount(ErrorCode.UNAVAILABLE) + rec.errorCount(ErrorCode.DEADLINE_EXCEEDED);
    }
}
