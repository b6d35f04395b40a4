package io.gmq.net.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.broker.BrokerEngine;
import io.gmq.broker.Storages;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.proto.ClientFrame;
import io.gmq.proto.ServerFrame;
import io.gmq.storage.Storage;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A consumer returns its credits inside its Acks frame to a broker that says it takes them there,
 * and as Credits frames to one that does not (a broker built before {@code credits_in_acks}, played
 * here by an interceptor that hides the flag and drops the field as an older parser would). Either
 * way every message arrives although the consumer holds far fewer credits than there are messages.
 */
final class CreditsInAcksTest {
    private static final int MESSAGES = 60;
    private static final int CREDITS = 5;

    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final AtomicInteger creditsFrames = new AtomicInteger();
    private final AtomicInteger acksWithCredits = new AtomicInteger();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    @Test
    void creditsTravelInsideAcksToABrokerThatTakesThem() throws Exception {
        consumeAll(start(false));
        assertTrue(acksWithCredits.get() > 0, "credits inside Acks");
        assertEquals(0, creditsFrames.get(), "no Credits frame needed");
    }

    @Test
    void creditsTravelAsCreditsFramesToAnOlderBroker() throws Exception {
        consumeAll(start(true));
        assertTrue(creditsFrames.get() > 0, "Credits frames");
        assertEquals(0, acksWithCredits.get(), "nothing an older broker would drop");
    }

    private void consumeAll(int port) throws Exception {
        try (GmqClient producer = GmqClient.connect(
                ClientConfig.builder().serverAddr("127.0.0.1:" + port).build())) {
            producer.createTopic("c", 1);
            for (int i = 0; i < MESSAGES; i++) {
                producer.publish("c", ("m" + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        Set<Long> received = ConcurrentHashMap.newKeySet();
        CountDownLatch all = new CountDownLatch(MESSAGES);
        try (GmqClient consumer = GmqClient.connect(ClientConfig.builder()
                .serverAddr("127.0.0.1:" + port)
                .consumerGroup("g")
                .consumerCredits(CREDITS)
                .messageHandler(m -> {
                    if (received.add(m.offset())) {
                        all.countDown();
                    }
                })
                .build())) {
            consumer.subscribe("c");
            all.await(20, TimeUnit.SECONDS);
        }
        assertEquals(MESSAGES, received.size(), "every message with " + CREDITS + " credits at a time");
    }

    private int start(boolean olderBroker) throws Exception {
        GmqConfig config =
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build();
        Storage storage = Storages.openLocal(config);
        toClose.add(0, storage);
        BrokerEngine engine = new BrokerEngine(storage, config);
        toClose.add(0, engine);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(new BrokerService(engine), new Frames(olderBroker)))
                .build()
                .start();
        toClose.add(0, server::shutdownNow);
        return server.getPort();
    }

    /** Counts how credits arrive; as an older broker, hides the flag and drops Acks.credits. */
    private final class Frames implements ServerInterceptor {
        private final boolean olderBroker;

        Frames(boolean olderBroker) {
            this.olderBroker = olderBroker;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <Q, R> ServerCall.Listener<Q> interceptCall(
                ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            ServerCall<Q, R> out = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void sendMessage(R message) {
                    if (olderBroker && message instanceof ServerFrame f && f.hasSubscribed()) {
                        message = (R) f.toBuilder()
                                .setSubscribed(f.getSubscribed().toBuilder().clearCreditsInAcks())
                                .build();
                    }
                    super.sendMessage(message);
                }
            };
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(out, headers)) {
                @Override
                public void onMessage(Q message) {
                    if (message instanceof ClientFrame f) {
                        if (f.hasCredits()) {
                            creditsFrames.incrementAndGet();
                        }
                        if (f.hasAcks() && f.getAcks().getCredits() > 0) {
                            acksWithCredits.incrementAndGet();
                            if (olderBroker) {
                                message = (Q) f.toBuilder()
                                        .setAcks(f.getAcks().toBuilder().clearCredits())
                                        .build();
                            }
                        }
                    }
                    super.onMessage(message);
                }
            };
        }
    }
}
