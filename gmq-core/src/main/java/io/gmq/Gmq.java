package io.gmq;

import io.gmq.internal.broker.BrokerEngine;
import io.gmq.internal.embedded.HandlerSubscription;
import io.gmq.storage.LocalStorage;
import io.gmq.storage.Storage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * An embedded GMQ engine on one data directory: topics, partitions, consumer groups and QoS 0/1
 * delivery inside this JVM.
 *
 * <pre>{@code
 * try (Gmq gmq = Gmq.open(GmqConfig.builder().dataDir("./gmq-data").build())) {
 *     gmq.subscribe(ConsumerConfig.builder()
 *             .consumerGroup("order-processors")
 *             .messageHandler(msg -> System.out.println(msg.payloadAsString()))
 *             .build(), "orders");
 *     PublishResult r = gmq.publish("orders", "Order#1001".getBytes(),
 *             PublishOption.qos(QoS.AT_LEAST_ONCE), PublishOption.partitionKey("user_id_123"));
 * }
 * }</pre>
 *
 * Thread safe. Close it to stop delivery, commit acknowledged progress and release the files.
 */
public final class Gmq implements AutoCloseable {
    private final GmqConfig config;
    private final LocalStorage storage;
    private final BrokerEngine engine;
    private final GmqAdmin admin;
    private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private Gmq(GmqConfig config, LocalStorage storage) {
        this.config = config;
        this.storage = storage;
        this.engine = new BrokerEngine(storage, config);
        this.admin = new GmqAdmin(storage, engine);
    }

    public static Gmq open(GmqConfig config) {
        return new Gmq(config, LocalStorage.open(config));
    }

    public static Gmq open(Path dataDir) {
        return open(GmqConfig.builder().dataDir(dataDir).build());
    }

    public GmqConfig config() {
        return config;
    }

    /** Publishes and waits: for QoS 1 (the default) until the message is durable. */
    public PublishResult publish(String topic, byte[] payload, PublishOption... options) {
        return await(publishAsync(topic, payload, options));
    }

    public CompletableFuture<PublishResult> publishAsync(String topic, byte[] payload, PublishOption... options) {
        try {
            checkOpen();
            return engine.publish(PublishRequest.of(topic, payload, options));
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Publishes many messages at once; results in the same order. */
    public CompletableFuture<List<PublishResult>> publishAllAsync(List<PublishRequest> requests) {
        checkOpen();
        return engine.publishAll(requests);
    }

    /**
     * Starts a consumer: joins its consumer group for {@code topics} (auto-created if absent) and
     * delivers to its handler on a thread of its own.
     */
    public Subscription subscribe(ConsumerConfig consumer, String... topics) {
        checkOpen();
        if (topics.length == 0) {
            throw GmqException.invalidArgument("subscribe needs at least one topic");
        }
        Set<String> names = new LinkedHashSet<>(Arrays.asList(topics));
        Subscription[] holder = new Subscription[1];
        HandlerSubscription s =
                HandlerSubscription.start(engine, consumer, names, () -> subscriptions.remove(holder[0]));
        holder[0] = s;
        subscriptions.add(s);
        return s;
    }

    /** Reads one partition from a position without a group (replay). */
    public PartitionReader reader(TopicPartition tp, OffsetSpec from) {
        checkOpen();
        return new PartitionReader(storage, tp, from);
    }

    public GmqAdmin admin() {
        checkOpen();
        return admin;
    }

    /** The storage seam under this engine (for the network server, which serves it to other brokers). */
    public Storage storage() {
        return storage;
    }

    /** The broker logic of this engine (for the network server). */
    public BrokerEngine engine() {
        return engine;
    }

    private void checkOpen() {
        if (closed) {
            throw new GmqException(ErrorCode.UNAVAILABLE, "the GMQ engine is closed");
        }
    }

    static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GmqException(ErrorCode.UNAVAILABLE, "interrupted while waiting", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof GmqException g) {
                throw new GmqException(g.code(), g.getMessage(), g);
            }
            throw new GmqException(ErrorCode.INTERNAL, String.valueOf(c), c);
        }
    }

    /** Stops every consumer (committing acknowledged progress), then the broker logic, then the storage. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Subscription s : List.copyOf(subscriptions)) {
            s.close();
        }
        try {
            engine.close();
        } finally {
            storage.close();
        }
    }
}
