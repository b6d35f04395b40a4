package io.gmq.net.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.AckMode;
import io.gmq.ConsumeMessage;
import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.GroupDescription;
import io.gmq.GroupType;
import io.gmq.PublishOption;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.server.GmqServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Share groups over the network, on 127.0.0.1 port 0: members on one broker, and members on two
 * brokers over one storage process, where the share state lives. Every record reaches exactly
 * one member when all accept; a released record and one whose lock ended come back; a rejected
 * one does not.
 */
final class ShareGroupNetworkTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

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

    private GmqConfig config() {
        return GmqConfig.builder()
                .dataDir(dir)
                .flushPolicy(FlushPolicy.OS)
                .maxInFlightPerPartition(16)
                .build();
    }

    private GmqClient member(
            String address, String group, AckMode mode, Duration lock, java.util.function.Consumer<ConsumeMessage> h) {
        ClientConfig.Builder b = ClientConfig.builder()
                .serverAddr(address)
                .consumerGroup(group)
                .groupType(GroupType.SHARE)
                .ackMode(mode)
                .pullInterval(Duration.ofMillis(20))
                .messageHandler(m -> h.accept(m));
        if (lock != null) {
            b.lockDuration(lock);
        }
        return own(GmqClient.connect(b.build()));
    }

    @Test
    void membersOnTwoBrokersOverOneStorageEachGetRecordsAndEveryRecordOnce() {
        GmqServer storage = own(GmqServer.storage(config(), "127.0.0.1", 0));
        String storageAddress = "127.0.0.1:" + storage.port();
        GmqServer brokerA = own(GmqServer.broker(config(), "127.0.0.1", 0, storageAddress));
        GmqServer brokerB = own(GmqServer.broker(config(), "127.0.0.1", 0, storageAddress));
        String[] brokers = {"127.0.0.1:" + brokerA.port(), "127.0.0.1:" + brokerB.port()};
        GmqClient producer = own(
                GmqClient.connect(ClientConfig.builder().serverAddr(brokers[0]).build()));
        producer.createTopic("jobs", 3);

        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        Map<Integer, AtomicInteger> perMember = new ConcurrentHashMap<>();
        for (int i = 0; i < 6; i++) {
            int member = i;
            perMember.put(member, new AtomicInteger());
            GmqClient c = member(brokers[i % 2], "workers", AckMode.AUTO, null, m -> {
                seen.computeIfAbsent(m.payloadAsString(), k -> new AtomicInteger())
                        .incrementAndGet();
                perMember.get(member).incrementAndGet();
                try {
                    Thread.sleep(2); // the work a member does per record
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            c.subscribe("jobs");
        }
        int n = 300;
        for (int i = 0; i < n; i++) {
            producer.publish("jobs", ("job-" + i).getBytes(StandardCharsets.UTF_8), PublishOption.partition(i % 3));
        }
        GmqClientTest.await("all " + n + " records", () -> seen.size() == n);
        GmqClientTest.await(
                "every share start offset at the end",
                () -> producer.describeGroup("workers").partitions().stream()
                        .allMatch(p -> p.committedOffset() == n / 3));
        seen.forEach((payload, count) -> assertEquals(1, count.get(), payload + " delivered more than once"));
        perMember.forEach((member, count) -> assertTrue(count.get() > 0, "member " + member + " received nothing"));
        GroupDescription d = producer.describeGroup("workers");
        assertEquals(6, d.members().size());
        assertEquals(GroupType.SHARE, d.type());
        assertEquals(3, d.share().partitions().size());
        for (var p : d.share().partitions()) {
            assertEquals(n / 3, p.startOffset());
            assertEquals(0, p.inFlight(), "nothing in flight once all is accepted");
            assertEquals(0, p.lag());
        }
    }

    @Test
    void releaseRejectAndLockExpiryOverOneBroker() {
        GmqServer server = own(GmqServer.standalone(config(), "127.0.0.1", 0));
        String address = "127.0.0.1:" + server.port();
        GmqClient producer =
                own(GmqClient.connect(ClientConfig.builder().serverAddr(address).build()));
        producer.createTopic("claims", 1);
        ConcurrentLinkedQueue<ConsumeMessage> got = new ConcurrentLinkedQueue<>();
        GmqClient c = member(address, "judges", AckMode.MANUAL, Duration.ofMillis(400), m -> {
            got.add(m);
            if (m.deliveryCount() > 1) {
                m.ack();
                return;
            }
            switch (m.payloadAsString()) {
                case "release-me" -> m.release();
                case "reject-me" -> m.reject();
                default -> {} // its lock ends
            }
        });
        c.subscribe("claims");
        for (String p : List.of("release-me", "reject-me", "forget-me")) {
            producer.publish("claims", p.getBytes(StandardCharsets.UTF_8));
        }
        GmqClientTest.await(
                "the released and the expired record again",
                () -> got.stream()
                                .filter(m -> m.deliveryCount() == 2)
                                .map(ConsumeMessage::payloadAsString)
                                .distinct()
                                .count()
                        == 2);
        GmqClientTest.await(
                "all three settled",
                () -> producer.describeGroup("judges").partitions().get(0).committedOffset() == 3);
        assertEquals(
                1,
                got.stream()
                        .filter(m -> m.payloadAsString().equals("reject-me"))
                        .count());
        assertEquals(
                List.of("forget-me", "release-me"),
                got.stream()
                        .filter(m -> m.deliveryCount() == 2)
                        .map(ConsumeMessage::payloadAsString)
                        .sorted()
                        .toList());
    }

    @Test
    void anOrderedGroupNameRefusesShareMembers() {
        GmqServer server = own(GmqServer.standalone(config(), "127.0.0.1", 0));
        String address = "127.0.0.1:" + server.port();
        GmqClient ordered = own(GmqClient.connect(ClientConfig.builder()
                .serverAddr(address)
                .consumerGroup("classic")
                .messageHandler(m -> {})
                .build()));
        ordered.subscribe("t");
        GmqClient share = member(address, "classic", AckMode.AUTO, null, m -> {});
        GmqException e = assertThrows(GmqException.class, () -> share.subscribe("t"));
        assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("ordered consumer group"), e.getMessage());
    }
}
