package io.gmq.net.it;

import io.gmq.AssignmentListener;
import io.gmq.GroupDescription;
import io.gmq.TopicPartition;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The processes and clients of one fault test, closed in reverse order of creation by
 * {@link #close()} (called from {@code @AfterEach}, so a failing or timed-out test still leaves no
 * child JVM behind). Storage sits behind a {@link TcpProxy} so it can be restarted on a new port,
 * or cut off, while brokers keep one storage address.
 */
final class Cluster implements AutoCloseable {
    final Path dir;
    final Path logs;
    final Path dataDir;
    private final List<AutoCloseable> owned = new ArrayList<>();
    GmqProcess storage;
    TcpProxy storageLink;
    private int storageStarts;

    Cluster(Path dir) throws IOException {
        this.dir = dir;
        this.logs = Files.createDirectories(dir.resolve("logs"));
        this.dataDir = dir.resolve("data");
    }

    <T extends AutoCloseable> T own(T resource) {
        owned.add(0, resource);
        return resource;
    }

    /** Starts the storage process on {@link #dataDir} and the proxy in front of it. */
    void startStorage(String... extraArgs) throws IOException {
        storage = startStorageProcess(extraArgs);
        storageLink = own(TcpProxy.to(storage.port));
    }

    /** SIGKILLs the storage process (no shutdown hook) and starts a new one on the same data dir. */
    void killAndRestartStorage() throws IOException, InterruptedException {
        storage.kill();
        restartStorage();
    }

    /** Starts a new storage process on the same data dir (the old one is dead) and points the proxy at it. */
    void restartStorage() throws IOException {
        storage = startStorageProcess();
        storageLink.retarget(storage.port);
    }

    private GmqProcess startStorageProcess(String... extraArgs) throws IOException {
        List<String> args = new ArrayList<>(
                List.of("storage", "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir.toString()));
        args.addAll(List.of(extraArgs));
        return own(GmqProcess.start("storage-" + (++storageStarts), logs, args.toArray(String[]::new)));
    }

    GmqProcess startBroker(String name) throws IOException {
        return own(GmqProcess.start(
                name, logs, "broker", "--host", "127.0.0.1", "--port", "0", "--storage", storageLink.address()));
    }

    GmqProcess startServer(String name, Path data) throws IOException {
        return own(GmqProcess.start(
                name, logs, "server", "--host", "127.0.0.1", "--port", "0", "--data-dir", data.toString()));
    }

    GmqClient client(ClientConfig.Builder config) {
        return own(GmqClient.connect(config.build()));
    }

    /**
     * The clients' {@link ClientConfig#idempotence()}: {@code -Dgmq.it.idempotence=false} runs the
     * fault tests with it off, which the stored-once checks must then fail (a resend stored twice).
     */
    static final boolean IDEMPOTENCE = Boolean.parseBoolean(System.getProperty("gmq.it.idempotence", "true"));

    static ClientConfig.Builder config(String addresses, Duration requestTimeout) {
        return ClientConfig.builder()
                .serverAddr(addresses)
                .requestTimeout(requestTimeout)
                .reconnectBackoffMax(Duration.ofMillis(300))
                .idempotence(IDEMPOTENCE);
    }

    /** A member of {@code group} recording every delivery into {@code recorder}. */
    GmqClient member(String addresses, String group, String clientId, Recorder recorder) {
        return client(config(addresses, Duration.ofSeconds(20))
                .consumerGroup(group)
                .clientId(clientId)
                .sessionTimeout(Duration.ofSeconds(3))
                .pullInterval(Duration.ofMillis(20))
                // Exact reassignments from the member itself (announced before the partition's
                // first delivery); the group sampler can miss an owner that held a partition
                // for less than one sampling interval.
                .assignmentListener(new AssignmentListener() {
                    @Override
                    public void onAssigned(Set<TopicPartition> partitions) {
                        for (TopicPartition tp : partitions) {
                            recorder.record(h -> h.assignment(clientId, tp, 0));
                        }
                    }
                })
                .messageHandler(m -> recorder.consume(clientId, m)));
    }

    /**
     * Consumes {@code topic} from the start with a fresh group until every acknowledged payload was
     * seen, closes the member (which commits), then records the group's committed offsets.
     */
    void drainWithFreshGroup(String address, String topic, String group, Recorder recorder, GmqClient admin) {
        GmqClient checker = member(address, group, group + "-member", recorder);
        checker.subscribe(topic);
        recorder.awaitAllAcknowledgedConsumed(120);
        checker.close();
        GroupDescription d = admin.describeGroup(group);
        for (GroupDescription.PartitionProgress p : d.partitions()) {
            TopicPartition tp = p.topicPartition();
            long committed = p.committedOffset();
            recorder.record(h -> h.committed(group, tp, committed));
        }
    }

    @Override
    public void close() {
        for (AutoCloseable r : owned) {
            try {
                r.close();
            } catch (Exception ignored) {
                // close the rest
            }
        }
        owned.clear();
    }
}
