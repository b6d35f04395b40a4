package io.gmq.net.it;

import io.gmq.GmqConfig;
import io.gmq.client.GmqClient;
import io.gmq.internal.log.PowerLossFileIO;
import io.gmq.testkit.QueueChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Power loss, simulated in-process: an {@link InProcessServer} (broker + storage, default SYNC flush
 * policy) whose logs go through {@link PowerLossFileIO}; QoS 1 producers publish over gRPC; at a
 * random moment the power is cut (every file goes back to its last fsync'ed content, every open
 * handle dies) and a new server opens the same directory. Repeated several times, then a fresh
 * group consumes everything from a last, undisturbed server.
 *
 * <p>Pass: the checker finds no acknowledged message lost (an acknowledgement under SYNC means
 * fsync'ed), nothing unexpected, consistent offsets across every reopen.
 */
final class PowerLossIT extends ClusterTest {
    private static final String TOPIC = "power";
    private static final int CUTS = Integer.getInteger("gmq.faults.powerCuts", 4);

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void acknowledgedPublishesSurviveRepeatedPowerCuts() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir.resolve("data"))
                .segmentBytes(32 * 1024)
                .build();
        PowerLossFileIO power = new PowerLossFileIO();
        Recorder rec = new Recorder();
        for (int cut = 0; cut < CUTS; cut++) {
            InProcessServer server = InProcessServer.start(config, power);
            List<GmqClient> clients = new ArrayList<>();
            try {
                GmqClient admin = GmqClient.connect(
                        Cluster.config(server.address(), Duration.ofSeconds(5)).build());
                clients.add(admin);
                if (cut == 0) {
                    admin.createTopic(TOPIC, 3);
                }
                rec.resumeProducing();
                for (int p = 0; p < 3; p++) {
                    GmqClient producer = GmqClient.connect(Cluster.config(server.address(), Duration.ofSeconds(3))
                            .build());
                    clients.add(producer);
                    rec.startProducer(producer, "c" + cut + "p" + p, TOPIC);
                }
                int target = rec.acknowledged.size() + 20 + random.nextInt(150);
                Recorder.await(
                        "acknowledgements before power cut " + (cut + 1), 60, () -> rec.acknowledged.size() >= target);
                rec.faultBegins();
                power.cutPower();
            } finally {
                // Closing the clients fails their in-flight sends at once (indeterminate) instead of
                // letting them wait out the request timeout against a dead server.
                rec.haltProducers();
                server.close();
                for (GmqClient c : clients) {
                    c.close();
                }
                rec.stopProducers();
            }
            rec.faultEnds();
        }
        InProcessServer last = cluster.own(InProcessServer.start(config, power));
        GmqClient admin = cluster.client(Cluster.config(last.address(), Duration.ofSeconds(10)));
        cluster.drainWithFreshGroup(last.address(), TOPIC, "check", rec, admin);
        System.out.printf("PowerLossIT: seed %d, %d power cuts, %s%n", seed, CUTS, rec.summary());
        QueueChecker.check(rec.history()).assertValid();
    }
}
