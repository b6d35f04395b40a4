package io.gmq.net.security;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.broker.BrokerEngine;
import io.gmq.broker.Storages;
import io.gmq.net.broker.BrokerService;
import io.gmq.proto.CreateTopicRequest;
import io.gmq.proto.DescribeTopicRequest;
import io.gmq.proto.GmqBrokerGrpc;
import io.gmq.security.AclEntry;
import io.gmq.security.Authorizer;
import io.gmq.security.Operation;
import io.gmq.security.PatternType;
import io.gmq.security.Permission;
import io.gmq.security.Principal;
import io.gmq.security.ResourceType;
import io.gmq.security.StaticTokenAuthenticator;
import io.gmq.storage.Storage;
import io.gmq.wire.ChannelSecurity;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Deny wins and default deny hold over the gRPC path too: for random ACLs, a DescribeTopic call
 * by alice (authenticated by token through {@link AuthInterceptor}) succeeds exactly when some
 * entry matching alice, the topic and DESCRIBE allows it and none denies it. One in-process
 * server for all tries; its authorizer is swapped per try.
 */
final class AclOverGrpcProperties {
    private static final String TOPIC = "orders.eu";
    private static final AtomicReference<Authorizer> CURRENT = new AtomicReference<>();
    private static Path dir;
    private static Storage storage;
    private static BrokerEngine engine;
    private static Server server;
    private static ManagedChannel channel;

    @BeforeContainer
    static void start() throws Exception {
        dir = Files.createTempDirectory("gmq-acl-props");
        GmqConfig config =
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build();
        storage = Storages.openLocal(config);
        storage.createTopic(TOPIC, 1);
        engine = new BrokerEngine(storage, config);
        Authorizer swappable = (p, type, name, op) -> CURRENT.get().allowed(p, type, name, op);
        BrokerService broker = new BrokerService(engine, BrokerAccess.enforcing(swappable, storage), 16);
        AuthInterceptor auth = new AuthInterceptor(StaticTokenAuthenticator.of(Map.of("t", new Principal("alice"))));
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .addService(ServerInterceptors.intercept(broker, auth))
                .build()
                .start();
        channel = InProcessChannelBuilder.forName(name)
                .intercept(new ChannelSecurity(null, null, null, "t").tokenInterceptor())
                .build();
    }

    @AfterContainer
    static void stop() throws Exception {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        engine.close();
        storage.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        }
    }

    @Property(tries = 150)
    void describeOverGrpcIsAllowedIffAnAllowMatchesAndNoDenyMatches(@ForAll("acls") List<AclEntry> acls) {
        CURRENT.set(Authorizer.fromAcls(acls));
        boolean anyAllow = false;
        boolean anyDeny = false;
        for (AclEntry e : acls) {
            boolean principal = e.principal().equals("*") || e.principal().equals("alice");
            boolean op = e.operation() == Operation.ALL || e.operation() == Operation.DESCRIBE;
            boolean resource = e.resourceType() == ResourceType.TOPIC
                    && (e.patternType() == PatternType.LITERAL
                            ? TOPIC.equals(e.resourceName())
                            : TOPIC.startsWith(e.resourceName()));
            if (principal && op && resource) {
                anyAllow |= e.permission() == Permission.ALLOW;
                anyDeny |= e.permission() == Permission.DENY;
            }
        }
        Status.Code expected = anyAllow && !anyDeny ? Status.Code.OK : Status.Code.PERMISSION_DENIED;
        Status.Code actual;
        try {
            GmqBrokerGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .describeTopic(
                            DescribeTopicRequest.newBuilder().setTopic(TOPIC).build());
            actual = Status.Code.OK;
        } catch (StatusRuntimeException e) {
            actual = e.getStatus().getCode();
        }
        if (expected != actual) {
            throw new AssertionError("expected " + expected + " but got " + actual + " for " + acls);
        }
        // Creating a new topic needs CREATE, which these ACLs may also grant: denied means nothing created.
        String fresh = "orders.p" + Long.toUnsignedString(System.nanoTime());
        boolean createAllowed =
                Authorizer.fromAcls(acls).allowed(new Principal("alice"), ResourceType.TOPIC, fresh, Operation.CREATE);
        try {
            GmqBrokerGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .createTopic(CreateTopicRequest.newBuilder()
                            .setTopic(fresh)
                            .setPartitions(1)
                            .build());
            if (!createAllowed) {
                throw new AssertionError("create of " + fresh + " succeeded without a CREATE grant: " + acls);
            }
        } catch (StatusRuntimeException e) {
            if (createAllowed || e.getStatus().getCode() != Status.Code.PERMISSION_DENIED) {
                throw new AssertionError("create of " + fresh + " failed with " + e.getStatus() + " for " + acls);
            }
            boolean exists =
                    storage.listTopics().stream().anyMatch(t -> t.name().equals(fresh));
            if (exists) {
                throw new AssertionError("a denied create left topic " + fresh + " behind");
            }
        }
    }

    @Provide
    Arbitrary<List<AclEntry>> acls() {
        Arbitrary<String> principal = Arbitraries.of("alice", "bob", "*");
        Arbitrary<PatternType> pattern = Arbitraries.of(PatternType.values());
        Arbitrary<String> name = Arbitraries.of("orders.eu", "orders.", "orders", "o", "orders.us", "x");
        Arbitrary<Operation> op =
                Arbitraries.of(Operation.DESCRIBE, Operation.CREATE, Operation.ALL, Operation.PUBLISH);
        Arbitrary<Permission> permission = Arbitraries.of(Permission.values());
        Arbitrary<AclEntry> entry = Combinators.combine(principal, pattern, name, op, permission)
                .as((p, pt, n, o, perm) -> new AclEntry(p, ResourceType.TOPIC, pt, n, o, perm));
        return entry.list().ofMaxSize(6);
    }
}
