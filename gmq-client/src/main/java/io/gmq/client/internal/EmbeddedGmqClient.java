package io.gmq.client.internal;

import io.gmq.ConsumerConfig;
import io.gmq.ErrorCode;
import io.gmq.Gmq;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.PublishOption;
import io.gmq.PublishResult;
import io.gmq.Subscription;
import io.gmq.TopicDescription;
import io.gmq.TopicInfo;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link GmqClient} over an in-process {@link Gmq} engine: what {@code serverAddr("embedded:<dir>")}
 * opens. Publishing and consuming run the same engine code a broker runs, without the network.
 * Publishes go through the engine's own per-partition batching (messages that arrive while a
 * partition's appends are in flight share the next frame), so there is no linger to flush.
 * The engine {@link #open} opens is owned by this client and closed with it; one given to
 * {@link #over} belongs to the caller.
 */
public final class EmbeddedGmqClient implements GmqClient {
    private final ClientConfig config;
    private final Gmq gmq;
    private final boolean ownsEngine;
    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();

    private EmbeddedGmqClient(ClientConfig config, Gmq gmq, boolean ownsEngine) {
        this.config = config;
        this.gmq = gmq;
        this.ownsEngine = ownsEngine;
    }

    public static GmqClient open(ClientConfig config) {
        return new EmbeddedGmqClient(
                config,
                Gmq.open(GmqConfig.builder().dataDir(config.embeddedDataDir()).build()),
                true);
    }

    /**
     * A client over an engine the caller opened and keeps owning (not closed with the client):
     * how several clients, for example several members of one group, share one engine, since a
     * data directory admits one engine at a time. {@code config.serverAddr()} is not used.
     */
    public static GmqClient over(ClientConfig config, Gmq gmq) {
        return new EmbeddedGmqClient(config, gmq, false);
    }

    @Override
    public PublishResult publish(String topic, byte[] payload, PublishOption... options) {
        try {
            return gmq.publishAsync(topic, payload, options).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof GmqException g
                    ? g
                    : new GmqException(ErrorCode.UNAVAILABLE, "publish failed: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public CompletableFuture<PublishResult> publishAsync(String topic, byte[] payload, PublishOption... options) {
        try {
            return gmq.publishAsync(topic, payload, options);
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void flush() {
        // Nothing waits for a linger here: every publish is already on its way to the log.
    }

    @Override
    public synchronized void subscribe(String topic) {
        if (config.consumerGroup() == null || config.messageHandler() == null) {
            throw GmqException.invalidArgument(
                    "set ClientConfig.consumerGroup(...) and messageHandler(...) before subscribing");
        }
        if (subscriptions.containsKey(topic)) {
            return;
        }
        ConsumerConfig.Builder c = ConsumerConfig.builder()
                .clientId(config.clientId())
                .consumerGroup(config.consumerGroup())
                .messageHandler(config.messageHandler())
                .pullInterval(config.pullInterval())
                .ackMode(config.ackMode())
                .ordering(config.ordering())
                .retryBackoff(config.retryBackoff())
                .startFrom(config.startFrom())
                .groupInstanceId(config.groupInstanceId())
                .groupType(config.groupType())
                .lockDuration(config.lockDuration())
                .assignmentListener(config.assignmentListener());
        if (config.sessionTimeout() != null) {
            c.sessionTimeout(config.sessionTimeout());
        }
        subscriptions.put(topic, gmq.subscribe(c.build(), topic));
    }

    @Override
    public GmqException subscriptionError(String topic) {
        Subscription s = subscriptions.get(topic);
        return s == null ? null : s.failure();
    }

    @Override
    public synchronized void unsubscribe(String topic) {
        Subscription s = subscriptions.remove(topic);
        if (s != null) {
            s.close();
        }
    }

    @Override
    public TopicInfo createTopic(String topic, int partitions) {
        return gmq.admin().createTopic(topic, partitions);
    }

    @Override
    public TopicInfo createTopic(String topic, int partitions, Map<String, String> config) {
        return gmq.admin().createTopic(topic, partitions, config);
    }

    @Override
    public TopicInfo alterTopicConfig(String topic, Map<String, String> changes) {
        return gmq.admin().alterTopicConfig(topic, changes);
    }

    @Override
    public TopicInfo createPartitions(String topic, int partitions) {
        return gmq.admin().createPartitions(topic, partitions);
    }

    @Override
    public List<TopicInfo> listTopics() {
        return gmq.admin().listTopics();
    }

    @Override
    public TopicDescription describeTopic(String topic) {
        return gmq.admin().describeTopic(topic);
    }

    @Override
    public void deleteTopic(String topic) {
        gmq.admin().deleteTopic(topic);
    }

    @Override
    public List<String> listGroups() {
        return gmq.admin().listGroups();
    }

    @Override
    public io.gmq.ClusterDescription describeCluster() {
        throw new io.gmq.GmqException(
                io.gmq.ErrorCode.FAILED_PRECONDITION,
                "the embedded engine keeps its storage in one local data directory");
    }

    @Override
    public io.gmq.ClusterDescription addStorageNode(String nodeId, String raftAddress) {
        return describeCluster();
    }

    @Override
    public io.gmq.ClusterDescription removeStorageNode(String nodeId) {
        return describeCluster();
    }

    @Override
    public GroupDescription describeGroup(String group) {
        return gmq.admin().describeGroup(group);
    }

    @Override
    public void deleteGroup(String group) {
        gmq.admin().deleteGroup(group);
    }

    @Override
    public io.gmq.PartitionReader reader(io.gmq.TopicPartition partition, OffsetSpec from) {
        return gmq.reader(partition, from);
    }

    @Override
    public void resetOffsets(String group, String topic, OffsetSpec spec) {
        gmq.admin().resetOffsets(group, topic, spec);
    }

    @Override
    public void resetOffsets(String group, io.gmq.TopicPartition partition, OffsetSpec spec) {
        gmq.admin().resetOffsets(group, partition, spec);
    }

    @Override
    public synchronized void close() {
        for (String topic : List.copyOf(subscriptions.keySet())) {
            unsubscribe(topic);
        }
        if (ownsEngine) {
            gmq.close();
        }
    }
}
