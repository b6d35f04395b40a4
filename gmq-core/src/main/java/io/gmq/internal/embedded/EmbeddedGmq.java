package io.gmq.internal.embedded;

import io.gmq.ConsumerConfig;
import io.gmq.ErrorCode;
import io.gmq.Gmq;
import io.gmq.GmqAdmin;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.OffsetSpec;
import io.gmq.PartitionReader;
import io.gmq.PublishOption;
import io.gmq.PublishRequest;
import io.gmq.PublishResult;
import io.gmq.Subscription;
import io.gmq.TopicPartition;
import io.gmq.broker.BrokerEngine;
import io.gmq.internal.storage.LocalStorage;
import io.gmq.storage.Storage;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/** The embedded engine behind {@link Gmq}: local storage, the broker logic over it, and its consumers. */
public final class EmbeddedGmq implements Gmq {
    private final GmqConfig config;
    private final LocalStorage storage;
    private final BrokerEngine engine;
    private final GmqAdmin admin;
    private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private EmbeddedGmq(GmqConfig config, LocalStorage storage) {
        this.config = config;
        this.storage = storage;
        this.engine = new BrokerEngine(storage, config);
        this.admin = new EmbeddedAdmin(storage, engine);
    }

    public static EmbeddedGmq open(GmqConfig config) {
        return new EmbeddedGmq(config, LocalStorage.open(config));
    }

    @Override
    public GmqConfig config() {
        return config;
    }

    @Override
    public PublishResult publish(String topic, byte[] payload, PublishOption... options) {
        return await(publishAsync(topic, payload, options));
    }

    @Override
    public CompletableFuture<PublishResult> publishAsync(String topic, byte[] payload, PublishOption... options) {
        try {
            checkOpen();
            return engine.publish(PublishRequest.of(engine.time().wallMillis(), topic, payload, options));
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<List<PublishResult>> publishAllAsync(List<PublishRequest> requests) {
        checkOpen();
        return engine.publishAll(requests);
    }

    @Override
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

    @Override
    public PartitionReader reader(TopicPartition tp, OffsetSpec from) {
        checkOpen();
        return new EmbeddedPartitionReader(storage, tp, from);
    }

    @Override
    public GmqAdmin admin() {
        checkOpen();
        return admin;
    }

    /** The storage under this engine (tests of core reach it to stage states the API cannot). */
    public Storage storage() {
        return storage;
    }

    private void checkOpen() {
        if (closed) {
            throw new GmqException(ErrorCode.UNAVAILABLE, "the GMQ engine is closed");
        }
    }

    /** Waits for {@code f}; its failure is rethrown as the GmqException it carries. */
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
