package io.gmq.client.internal;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.PartitionInfo;
import io.gmq.PublishOption;
import io.gmq.PublishRequest;
import io.gmq.PublishResult;
import io.gmq.TimeSource;
import io.gmq.TopicDescription;
import io.gmq.TopicInfo;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.proto.CreateTopicRequest;
import io.gmq.proto.DeleteTopicRequest;
import io.gmq.proto.DescribeGroupRequest;
import io.gmq.proto.DescribeTopicRequest;
import io.gmq.proto.DescribeTopicResponse;
import io.gmq.proto.GetTopicMetadataRequest;
import io.gmq.proto.ListGroupsRequest;
import io.gmq.proto.ListTopicsRequest;
import io.gmq.proto.ResetOffsetsRequest;
import io.gmq.proto.ServerFrame;
import io.gmq.wire.GrpcErrors;
import io.gmq.wire.Protos;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * {@link GmqClient} over gRPC: one {@link BrokerConnection} (one Session stream), a
 * {@link Producer} and one {@link ClientSubscription} per subscribed topic.
 */
public final class RemoteGmqClient implements GmqClient, BrokerConnection.Listener {
    private final ClientConfig config;
    private final ScheduledExecutorService timer;
    private final BrokerConnection connection;
    private final Producer producer;
    private final Map<String, Integer> partitionCounts = new ConcurrentHashMap<>();
    private final Map<String, ClientSubscription> byTopic = new ConcurrentHashMap<>();
    private final Map<Long, ClientSubscription> byId = new ConcurrentHashMap<>();
    private final AtomicLong nextSubscriptionId = new AtomicLong(1);
    private volatile boolean closed;

    private final TimeSource time;

    private RemoteGmqClient(ClientConfig config, Function<String, ManagedChannel> channels, TimeSource time) {
        this.config = config;
        this.time = time;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gmq-client-" + config.clientId());
            t.setDaemon(true);
            return t;
        });
        this.connection = new BrokerConnection(config, timer, channels, time);
        this.producer = new Producer(config, connection, timer, time, this::partitionCount, partitionCounts::clear);
        connection.listener(this);
    }

    public static RemoteGmqClient connect(ClientConfig config) {
        return connect(config, BrokerConnection.nettyChannels(config));
    }

    /**
     * A client whose channels come from {@code channels} (given each configured address) instead of
     * Netty: how a host that serves brokers over another grpc transport, such as grpc in-process,
     * connects. TLS and token settings of {@code config} are then up to {@code channels}.
     */
    public static RemoteGmqClient connect(ClientConfig config, Function<String, ManagedChannel> channels) {
        RemoteGmqClient c = new RemoteGmqClient(config, channels, TimeSource.SYSTEM);
        try {
            c.producer.start();
            c.connection.start();
        } catch (RuntimeException e) {
            c.connection.close();
            c.timer.shutdownNow();
            throw e;
        }
        return c;
    }

    /** The broker this client talks to now (host:port), or null while reconnecting. */
    public String currentBroker() {
        return connection.isConnected() ? connection.address() : null;
    }

    // ---- connection events ------------------------------------------------------------------------

    @Override
    public void onConnected(int epoch) {
        producer.onConnected(epoch);
        for (ClientSubscription s : byId.values()) {
            s.subscribe(epoch);
        }
    }

    @Override
    public void onFrame(ServerFrame f, int epoch) {
        switch (f.getFrameCase()) {
            case PUBLISH_ACK -> producer.onAck(f.getPublishAck());
            case DELIVERY -> {
                ClientSubscription s = byId.get(f.getDelivery().getSubscriptionId());
                if (s != null) {
                    s.onDelivery(f.getDelivery(), epoch);
                }
            }
            case SUBSCRIBED -> {
                ClientSubscription s = byId.get(f.getSubscribed().getSubscriptionId());
                if (s != null) {
                    s.onSubscribed(
                            f.getSubscribed().getMemberId(), f.getSubscribed().getCreditsInAcks());
                }
            }
            case ASSIGNMENT -> {
                ClientSubscription s = byId.get(f.getAssignment().getSubscriptionId());
                if (s != null) {
                    s.onAssignment(Protos.fromProto(f.getAssignment().getAssignedList()));
                }
            }
            case ERROR -> {
                ClientSubscription s = byId.get(f.getError().getSubscriptionId());
                if (s != null) {
                    s.onError(GrpcErrors.fromProto(f.getError().getError()));
                }
            }
            default -> {
                // heartbeats and unsubscribe confirmations need no action
            }
        }
    }

    @Override
    public void onDisconnected(GmqException cause) {
        // In-flight publishes wait for the next session (Producer.onConnected); subscriptions rejoin there.
    }

    // ---- publish ----------------------------------------------------------------------------------

    private int partitionCount(String topic) {
        Integer n = partitionCounts.get(topic);
        if (n == null) {
            n = connection
                    .unary(stub -> stub.getTopicMetadata(GetTopicMetadataRequest.newBuilder()
                            .setTopic(topic)
                            .setAutoCreate(true)
                            .build()))
                    .getPartitions();
            partitionCounts.put(topic, n);
        }
        return n;
    }

    /**
     * Extra wait of a synchronous publish beyond the request timeout: the producer fails a publish
     * at its deadline itself (with the code that says whether it was sent); this is only a backstop.
     */
    private static final long PUBLISH_BACKSTOP_MILLIS = 5_000;

    @Override
    public PublishResult publish(String topic, byte[] payload, PublishOption... options) {
        CompletableFuture<PublishResult> f = send(topic, payload, options, true);
        try {
            return f.get(config.requestTimeout().toMillis() + PUBLISH_BACKSTOP_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw GrpcErrors.toGmq(e.getCause());
        } catch (TimeoutException e) {
            throw new GmqException(
                    ErrorCode.DEADLINE_EXCEEDED,
                    "publish to '" + topic + "' not acknowledged within "
                            + config.requestTimeout().toMillis() + " ms; it may or may not be stored");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GmqException(ErrorCode.UNAVAILABLE, "interrupted while publishing");
        }
    }

    @Override
    public CompletableFuture<PublishResult> publishAsync(String topic, byte[] payload, PublishOption... options) {
        try {
            return send(topic, payload, options, false);
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletableFuture<PublishResult> send(String topic, byte[] payload, PublishOption[] options, boolean now) {
        if (closed) {
            throw new GmqException(ErrorCode.UNAVAILABLE, "client is closed");
        }
        long calledNanos = time.nanoTime(); // the publish deadline counts from here, metadata lookup included
        return producer.publish(PublishRequest.of(time.wallMillis(), topic, payload, options), now, calledNanos);
    }

    @Override
    public void flush() {
        producer.flush();
    }

    // ---- subscribe --------------------------------------------------------------------------------

    @Override
    public synchronized void subscribe(String topic) {
        if (config.consumerGroup() == null || config.consumerGroup().isBlank()) {
            throw GmqException.invalidArgument("set ClientConfig.consumerGroup(...) before subscribing");
        }
        if (config.messageHandler() == null) {
            throw GmqException.invalidArgument("set ClientConfig.messageHandler(...) before subscribing");
        }
        if (byTopic.containsKey(topic)) {
            return;
        }
        partitionCount(topic); // validates the name and auto-creates, with a synchronous error
        ClientSubscription s =
                new ClientSubscription(nextSubscriptionId.getAndIncrement(), topic, config, connection, timer);
        byTopic.put(topic, s);
        // Registered and sent under the connection's lock: a reconnect either sees it registered
        // and subscribes it (onConnected), or happens after and finds it subscribed; never both.
        synchronized (connection) {
            byId.put(s.id(), s);
            if (connection.isConnected()) {
                s.subscribe(currentEpoch());
            }
        }
        // Wait for the join so a refusal (bad group name, storage down) is thrown here, not logged.
        try {
            s.joined().get(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            unsubscribe(topic);
            throw GrpcErrors.toGmq(e.getCause());
        } catch (TimeoutException e) {
            // Not joined yet (reconnecting): the subscription stays and joins when a broker answers.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int currentEpoch() {
        return connection.epoch();
    }

    @Override
    public GmqException subscriptionError(String topic) {
        ClientSubscription s = byTopic.get(topic);
        return s == null ? null : s.failure();
    }

    @Override
    public synchronized void unsubscribe(String topic) {
        ClientSubscription s = byTopic.remove(topic);
        if (s != null) {
            byId.remove(s.id());
            s.close();
        }
    }

    // ---- admin ------------------------------------------------------------------------------------

    @Override
    public TopicInfo createTopic(String topic, int partitions) {
        return createTopic(topic, partitions, Map.of());
    }

    @Override
    public TopicInfo createTopic(String topic, int partitions, Map<String, String> config) {
        io.gmq.proto.TopicInfo created = connection.unary(stub -> stub.createTopic(CreateTopicRequest.newBuilder()
                .setTopic(topic)
                .setPartitions(partitions)
                .putAllConfig(config)
                .build()));
        TopicInfo t = Protos.fromProto(created);
        partitionCounts.remove(topic);
        return t;
    }

    @Override
    public TopicInfo alterTopicConfig(String topic, Map<String, String> changes) {
        io.gmq.proto.TopicInfo altered =
                connection.unary(stub -> stub.alterTopicConfig(io.gmq.proto.AlterTopicConfigRequest.newBuilder()
                        .setTopic(topic)
                        .putAllChanges(changes)
                        .build()));
        return Protos.fromProto(altered);
    }

    @Override
    public TopicInfo createPartitions(String topic, int partitions) {
        io.gmq.proto.TopicInfo grown =
                connection.unary(stub -> stub.createPartitions(io.gmq.proto.CreatePartitionsRequest.newBuilder()
                        .setTopic(topic)
                        .setPartitions(partitions)
                        .build()));
        partitionCounts.remove(topic);
        return Protos.fromProto(grown);
    }

    @Override
    public List<TopicInfo> listTopics() {
        List<TopicInfo> out = new ArrayList<>();
        connection
                .unary(stub -> stub.listTopics(ListTopicsRequest.getDefaultInstance()))
                .getTopicsList()
                .forEach(t -> out.add(Protos.fromProto(t)));
        return out;
    }

    @Override
    public TopicDescription describeTopic(String topic) {
        DescribeTopicResponse r = connection.unary(stub -> stub.describeTopic(
                DescribeTopicRequest.newBuilder().setTopic(topic).build()));
        List<PartitionInfo> partitions = new ArrayList<>();
        r.getPartitionsList().forEach(p -> partitions.add(Protos.fromProto(p)));
        TopicInfo t = Protos.fromProto(r.getTopic());
        return new TopicDescription(
                t.name(),
                t.partitions(),
                partitions,
                new java.util.LinkedHashMap<>(r.getEffectiveConfigMap()),
                t.config());
    }

    @Override
    public void deleteTopic(String topic) {
        connection.unary(stub ->
                stub.deleteTopic(DeleteTopicRequest.newBuilder().setTopic(topic).build()));
        partitionCounts.remove(topic);
    }

    @Override
    public List<String> listGroups() {
        return List.copyOf(connection
                .unary(stub -> stub.listGroups(ListGroupsRequest.getDefaultInstance()))
                .getGroupsList());
    }

    @Override
    public io.gmq.ClusterDescription describeCluster() {
        io.gmq.proto.ClusterDescription d = connection.unary(
                stub -> stub.describeCluster(io.gmq.proto.DescribeClusterRequest.getDefaultInstance()));
        return Protos.fromProto(d);
    }

    @Override
    public io.gmq.ClusterDescription addStorageNode(String nodeId, String raftAddress) {
        io.gmq.proto.ClusterDescription d =
                connection.unary(stub -> stub.addStorageNode(io.gmq.proto.AddStorageNodeRequest.newBuilder()
                        .setNodeId(nodeId)
                        .setRaftAddress(raftAddress)
                        .build()));
        return Protos.fromProto(d);
    }

    @Override
    public io.gmq.ClusterDescription removeStorageNode(String nodeId) {
        io.gmq.proto.ClusterDescription d =
                connection.unary(stub -> stub.removeStorageNode(io.gmq.proto.RemoveStorageNodeRequest.newBuilder()
                        .setNodeId(nodeId)
                        .build()));
        return Protos.fromProto(d);
    }

    @Override
    public GroupDescription describeGroup(String group) {
        io.gmq.proto.GroupDescription d = connection.unary(stub -> stub.describeGroup(
                DescribeGroupRequest.newBuilder().setGroup(group).build()));
        return Protos.fromProto(d);
    }

    @Override
    public void deleteGroup(String group) {
        connection.unary(stub -> stub.deleteGroup(
                io.gmq.proto.DeleteGroupRequest.newBuilder().setGroup(group).build()));
    }

    @Override
    public io.gmq.PartitionReader reader(io.gmq.TopicPartition partition, OffsetSpec from) {
        return new RemotePartitionReader(connection, partition, from, config.requestTimeout());
    }

    @Override
    public void resetOffsets(String group, String topic, OffsetSpec spec) {
        connection.unary(stub -> stub.resetOffsets(ResetOffsetsRequest.newBuilder()
                .setGroup(group)
                .setTopic(topic)
                .setSpec(Protos.toProto(spec))
                .build()));
    }

    @Override
    public void resetOffsets(String group, io.gmq.TopicPartition partition, OffsetSpec spec) {
        connection.unary(stub -> stub.resetOffsets(ResetOffsetsRequest.newBuilder()
                .setGroup(group)
                .setTopic(partition.topic())
                .setPartition(partition.partition())
                .setSpec(Protos.toProto(spec))
                .build()));
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        producer.flush();
        producer.awaitInFlight(config.requestTimeout().toMillis());
        for (String topic : List.copyOf(byTopic.keySet())) {
            unsubscribe(topic);
        }
        producer.failEverything(
                new GmqException(ErrorCode.UNAVAILABLE, "client closed before the broker acknowledged"));
        connection.close();
        timer.shutdownNow();
    }
}
