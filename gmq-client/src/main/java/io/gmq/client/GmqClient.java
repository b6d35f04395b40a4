package io.gmq.client;

import io.gmq.GmqException;
import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.PublishOption;
import io.gmq.PublishResult;
import io.gmq.TopicDescription;
import io.gmq.TopicInfo;
import io.gmq.client.internal.EmbeddedGmqClient;
import io.gmq.client.internal.RemoteGmqClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A GMQ client: publishes, consumes as a member of {@link ClientConfig#consumerGroup()}, and
 * administers topics and groups. The same interface talks to brokers over gRPC or, with
 * {@code serverAddr("embedded:./gmq-data")}, to an engine inside this JVM.
 *
 * <pre>
 *   try (GmqClient client = GmqClient.connect(ClientConfig.builder().serverAddr("localhost:50051").build())) {
 *       client.publish("orders", "Order#1001".getBytes(), PublishOption.partitionKey("user_id_123"));
 *   }
 * </pre>
 *
 * Thread-safe. Errors are {@link GmqException}s whose code says what to do.
 *
 * <p>When the server is away (network mode; {@link ClientConfig} has the details and settings):
 * {@link #connect} keeps trying, with backoff, for {@link ClientConfig#connectTimeout()} before it
 * throws UNAVAILABLE; a connected client reconnects by itself with jittered exponential backoff; a
 * publish fails once {@link ClientConfig#requestTimeout()} has passed since its call, with
 * UNAVAILABLE if it was never sent (it is dropped, so publishing it again cannot duplicate it) or
 * DEADLINE_EXCEEDED if it was sent and not acknowledged (indeterminate: it may be stored).
 */
public interface GmqClient extends AutoCloseable {

    /**
     * Connects (network) or opens (embedded) as the configuration says. In network mode it tries
     * every address, then again with backoff, until one answers or {@link
     * ClientConfig#connectTimeout()} (default 10 s) has passed; then it throws UNAVAILABLE
     * ("cannot reach GMQ broker at host:port: ..."). A refused token (UNAUTHENTICATED) or a failed TLS handshake throws at once.
     */
    static GmqClient connect(ClientConfig config) {
        return config.isEmbedded() ? EmbeddedGmqClient.open(config) : RemoteGmqClient.connect(config);
    }

    /**
     * Publishes one message and waits for its result (QoS 1: durable), at most
     * {@link ClientConfig#requestTimeout()} from the call. Then it throws UNAVAILABLE if the message
     * was never sent (no broker reachable: it was removed from the send queue, not stored, and a
     * retry cannot duplicate it), or DEADLINE_EXCEEDED if it was sent but not acknowledged (its
     * outcome is indeterminate; it is not sent again).
     */
    PublishResult publish(String topic, byte[] payload, PublishOption... options);

    /**
     * Publishes one message; batched with others under the hood. The future has the same deadline
     * and the same failures as {@link #publish}. The call itself may block: the first publish to a
     * topic looks up its partition count (up to the request timeout), and publishing blocks while
     * {@link ClientConfig#maxInFlightBatches()} batches await their acks.
     */
    CompletableFuture<PublishResult> publishAsync(String topic, byte[] payload, PublishOption... options);

    /** Sends every batched publish now. */
    void flush();

    /**
     * Starts consuming {@code topic} as a member of the configured group, running the configured
     * handler. Returns once the member joined; throws if the broker refuses (for example
     * INVALID_ARGUMENT for a bad group name). While no broker is reachable it returns after the
     * request timeout and joins as soon as one is.
     */
    void subscribe(String topic);

    /**
     * Stops consuming {@code topic}; its partitions go to the group's other members (a static
     * member, {@link ClientConfig#groupInstanceId()}, keeps them until its session timeout runs
     * out or it subscribes again).
     */
    void unsubscribe(String topic);

    /**
     * The error that stopped the subscription to {@code topic} after it joined, or null (none, or
     * not subscribed): for example ALREADY_EXISTS naming the group instance id when a newer
     * consumer with the same instance id fenced this one.
     */
    default io.gmq.GmqException subscriptionError(String topic) {
        return null;
    }

    TopicInfo createTopic(String topic, int partitions);

    /** Creates a topic with its own settings ({@link io.gmq.TopicConfig} keys -> values); see {@link io.gmq.GmqAdmin#createTopic(String, int, Map)}. */
    TopicInfo createTopic(String topic, int partitions, Map<String, String> config);

    /** Changes a topic's settings (an empty value: back to the engine's); see {@link io.gmq.GmqAdmin#alterTopicConfig}. */
    TopicInfo alterTopicConfig(String topic, Map<String, String> changes);

    /**
     * Grows a topic to {@code partitions} partitions; see {@link io.gmq.GmqAdmin#createPartitions}.
     * This client routes keyed publishes with the new count from its next publish; other producers
     * learn it at their next keyed batch, which storage refuses as routed with a stale count and
     * their client routes again.
     */
    TopicInfo createPartitions(String topic, int partitions);

    List<TopicInfo> listTopics();

    TopicDescription describeTopic(String topic);

    void deleteTopic(String topic);

    List<String> listGroups();

    GroupDescription describeGroup(String group);

    /**
     * The replicated storage cluster behind the broker (docs/CLUSTER.md). FAILED_PRECONDITION when
     * the storage is a single data directory (a standalone server, one storage process, embedded).
     */
    io.gmq.ClusterDescription describeCluster();

    /**
     * Makes the running storage node {@code nodeId} (started with {@code --join}), whose Raft server
     * answers at {@code raftAddress} ({@code HOST:PORT}), a member of the storage cluster; returns
     * the cluster after the change. Needs ADMIN on the cluster. FAILED_PRECONDITION when the
     * storage is not replicated or the node does not answer; ALREADY_EXISTS for a member's id.
     */
    io.gmq.ClusterDescription addStorageNode(String nodeId, String raftAddress);

    /**
     * Removes member {@code nodeId} (the leader too) from the storage cluster; returns the cluster
     * after the change. Needs ADMIN on the cluster. NOT_FOUND for an id that is not a member;
     * FAILED_PRECONDITION for the last member or storage that is not replicated.
     */
    io.gmq.ClusterDescription removeStorageNode(String nodeId);

    /**
     * Deletes a group's committed offsets; it is listed no more, and a group of that name starts
     * from its start position again. FAILED_PRECONDITION while it has members, NOT_FOUND if it has
     * neither members nor offsets. Needs DELETE on the group.
     */
    void deleteGroup(String group);

    /**
     * Reads one partition from {@code from} on, outside any consumer group: nothing joins, commits
     * or acknowledges (replay, audits, tooling). Needs CONSUME on the topic. The reader is not
     * thread safe and holds nothing to close; it works while this client is open.
     */
    io.gmq.PartitionReader reader(io.gmq.TopicPartition partition, OffsetSpec from);

    /** Moves a group's committed offsets on every partition of {@code topic}; the group must have no members. */
    void resetOffsets(String group, String topic, OffsetSpec spec);

    /**
     * Moves a group's committed offset on one partition (e.g. past a damaged batch: the DATA_LOSS
     * error names the offset); the group must have no members.
     */
    void resetOffsets(String group, io.gmq.TopicPartition partition, OffsetSpec spec);

    /** Flushes pending publishes, leaves groups (committing acknowledged progress), disconnects. */
    @Override
    void close();
}
