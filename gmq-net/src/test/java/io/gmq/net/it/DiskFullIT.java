package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.client.GmqClient;
import io.gmq.internal.log.FailingFileIO;
import io.gmq.internal.log.LogFileIO;
import io.gmq.testkit.QueueChecker;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A full disk under the real gRPC layer: an {@link InProcessServer} whose logs go through
 * {@link FailingFileIO}, QoS 1 producers over gRPC on 127.0.0.1. While the disk is full every
 * publish fails with RESOURCE_EXHAUSTED (recorded as a definite failure: the server promises the
 * record was not stored); after space returns publishing resumes by itself. Finally the server is
 * reopened over the plain file layer and a fresh group consumes everything.
 *
 * <p>Pass: the checker finds nothing acknowledged lost and nothing consumed whose every send failed
 * with RESOURCE_EXHAUSTED (a failed write leaves no visible record behind), offsets consistent.
 */
final class DiskFullIT extends ClusterTest {
    private static final String TOPIC = "full";

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void fullDiskFailsPublishesWithResourceExhaustedAndDamagesNothingAcknowledged() throws Exception {
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir.resolve("data"))
                .segmentBytes(64 * 1024)
                .build();
        FailingFileIO disk = new FailingFileIO();
        InProcessServer server = cluster.own(InProcessServer.start(config, disk));
        GmqClient admin = cluster.client(Cluster.config(server.address(), Duration.ofSeconds(10)));
        admin.createTopic(TOPIC, 3);

        Recorder rec = new Recorder(Set.of(ErrorCode.RESOURCE_EXHAUSTED));
        for (int p = 0; p < 3; p++) {
            rec.startProducer(cluster.client(Cluster.config(server.address(), Duration.ofSeconds(10))), "p" + p, TOPIC);
        }
        Recorder.await("a first share is acknowledged", 60, () -> rec.acknowledged.size() >= 200);
        disk.diskFull(true);
        Recorder.await(
                "publishes fail with RESOURCE_EXHAUSTED", 30, () -> rec.errorCount(ErrorCode.RESOURCE_EXHAUSTED) >= 20);
        disk.diskFull(false);
        int afterFull = rec.acknowledged.size();
        Recorder.await("publishing resumes once space is back", 60, () -> rec.acknowledged.size() >= afterFull + 200);
        rec.stopProducers();
        for (ErrorCode code : ErrorCode.values()) {
            if (code != ErrorCode.RESOURCE_EXHAUSTED) {
                assertEquals(0, rec.errorCount(code), "a full disk shows as RESOURCE_EXHAUSTED only, not " + code);
            }
        }

        // What is on disk, read back by an engine over the plain file layer.
        server.close();
        InProcessServer reopened = cluster.own(InProcessServer.start(config, LogFileIO.DEFAULT));
        GmqClient admin2 = cluster.client(Cluster.config(reopened.address(), Duration.ofSeconds(10)));
        cluster.drainWithFreshGroup(reopened.address(), TOPIC, "check", rec, admin2);
        System.out.printf("DiskFullIT: %s%n", rec.summary());
        assertTrue(rec.errorCount(ErrorCode.RESOURCE_EXHAUSTED) >= 20);
        QueueChecker.check(rec.history()).assertValid();
    }
}
