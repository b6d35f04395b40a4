package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.AssignmentListener;
import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.GroupDescription;
import io.gmq.TopicPartition;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.server.GmqServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static membership over the network: a standalone server on 127.0.0.1 port 0; consumer "a"
 * reaches it through a {@link TcpProxy} whose {@code cut()} breaks its connection abruptly (as a
 * killed process would: nothing reaches the broker after it), consumer "b" connects directly. A
 * consumer restarted with the same group instance id within the session timeout gets its
 * partitions back and "b" sees no assignment change; a second live consumer with the instance id
 * fences the older one.
 */
final class StaticMembershipNetworkTest {
    private static final String TOPIC = "static-topic";
    private static final String GROUP = "static-group";
    private static final int PARTITIONS = 6;
    /** Long enough that the restart happens well within it, whatever the machine's load. */
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private GmqServer server;
    private TcpProxy proxy;
    private GmqClient admin;

    @BeforeEach
    void start() throws Exception {
        server = own(GmqServer.standalone(
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build(), "127.0.0.1", 0));
        proxy = own(TcpProxy.to(server.port()));
        admin = own(
                GmqClient.connect(ClientConfig.builder().serverAddr(direct()).build()));
        admin.createTopic(TOPIC, PARTITIONS);
    }

    @AfterEach
    void closeAll() {
        for (AutoCloseable c : toClose) {
            try {
                c.close();
            } catch (Exception ignored) {
                // keep closing the rest
            }
        }
    }

    private <T extends AutoCloseable> T own(T c) {
        toClose.add(0, c);
        return c;
    }

    private String direct() {
        return "127.0.0.1:" + server.port();
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    /** What one consumer's listener heard: its current partitions and every change. */
    private static final class Assignments implements AssignmentListener {
        final Set<TopicPartition> current = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final List<String> changes = new CopyOnWriteArrayList<>();

        @Override
        public void onAssigned(Set<TopicPartition> partitions) {
            current.addAll(partitions);
            changes.add("+" + new TreeSet<>(partitions));
        }

        @Override
        public void onRevoked(Set<TopicPartition> partitions) {
            current.removeAll(partitions);
            changes.add("-" + new TreeSet<>(partitions));
        }

        Set<TopicPartition> snapshot() {
            return new TreeSet<>(current);
        }
    }

    private GmqClient consumer(String address, String instanceId, Assignments listener) {
        GmqClient c = own(GmqClient.connect(ClientConfig.builder()
                .serverAddr(address)
                .consumerGroup(GROUP)
                .groupInstanceId(instanceId)
                .sessionTimeout(SESSION_TIMEOUT)
                .reconnectBackoffMax(Duration.ofMillis(100))
                .requestTimeout(Duration.ofSeconds(5))
                .messageHandler(m -> {})
                .assignmentListener(listener)
                .build()));
        c.subscribe(TOPIC);
        return c;
    }

    private void awaitSplit(Assignments a, Assignments b) {
        await("the two consumers hold 3 partitions each", () -> {
            Set<TopicPartition> all = new HashSet<>(a.current);
            all.addAll(b.current);
            return a.current.size() == 3 && b.current.size() == 3 && all.size() == PARTITIONS;
        });
    }

    @Test
    void aStaticConsumerKilledAndRestartedWithinItsTimeoutGetsItsPartitionsBackWithoutARebalance() {
        Assignments a = new Assignments();
        Assignments b = new Assignments();
        GmqClient killed = consumer(proxy.address(), "a", a);
        consumer(direct(), "b", b);
        awaitSplit(a, b);
        Set<TopicPartition> aHeld = a.snapshot();
        Set<TopicPartition> bHeld = b.snapshot();
        int bChanges = b.changes.size();
        int generation = admin.describeGroup(GROUP).generation();

        proxy.cut(); // the process is "killed": its connection breaks, nothing more reaches the broker
        killed.close();
        GroupDescription whileAway = admin.describeGroup(GROUP);
        assertEquals(2, whileAway.members().size(), "the killed static member stays until its timeout");
        for (GroupDescription.PartitionProgress p : whileAway.partitions()) {
            if (aHeld.contains(p.topicPartition())) {
                assertNotNull(p.ownerMemberId(), p.topicPartition() + " stays with the absent static member");
            }
        }

        Assignments restarted = new Assignments();
        consumer(direct(), "a", restarted);
        await(
                "the restarted consumer holds its old partitions",
                () -> restarted.snapshot().equals(aHeld));

        GroupDescription after = admin.describeGroup(GROUP);
        assertEquals(generation, after.generation(), "no rebalance: the generation stayed");
        assertEquals(2, after.members().size());
        assertEquals(bHeld, b.snapshot(), "the other consumer kept its partitions");
        assertEquals(bChanges, b.changes.size(), "the other consumer saw no assignment change: " + b.changes);
    }

    @Test
    void aSecondLiveConsumerWithTheSameInstanceIdFencesTheOlderWithAnErrorNamingIt() {
        Assignments older = new Assignments();
        GmqClient first = consumer(direct(), "dup", older);
        await("the first consumer holds every partition", () -> older.current.size() == PARTITIONS);

        Assignments newer = new Assignments();
        consumer(direct(), "dup", newer);
        await("the newer consumer holds every partition", () -> newer.current.size() == PARTITIONS);
        await("the older consumer was told it is fenced", () -> first.subscriptionError(TOPIC) != null);
        GmqException e = first.subscriptionError(TOPIC);
        assertEquals(ErrorCode.ALREADY_EXISTS, e.code());
        assertTrue(e.getMessage().contains("'dup'"), e.getMessage());
        await("the older consumer lost its partitions", older.current::isEmpty);
        assertEquals(1, admin.describeGroup(GROUP).members().size());
    }
}
