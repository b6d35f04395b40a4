package io.gmq.net.server;

import io.gmq.GmqConfig;
import io.gmq.broker.BrokerEngine;
import io.gmq.broker.Storages;
import io.gmq.net.broker.BrokerService;
import io.gmq.net.cluster.ClusterPeers;
import io.gmq.net.cluster.ReplicatedStorage;
import io.gmq.net.security.ConnectionLimiter;
import io.gmq.net.security.ListenerTransport;
import io.gmq.net.security.ReloadingServerTls;
import io.gmq.net.security.ServerSecurity;
import io.gmq.net.storage.LeaderRoutedStorage;
import io.gmq.net.storage.RemoteStorage;
import io.gmq.net.storage.StorageService;
import io.gmq.security.Reloadable;
import io.gmq.security.ReloadingAclAuthorizer;
import io.gmq.security.ReloadingTokenAuthenticator;
import io.gmq.security.SecurityFileWatcher;
import io.gmq.storage.Storage;
import io.gmq.wire.ChannelSecurity;
import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.services.HealthStatusManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running GMQ process: a gRPC server with the GMQ services of its role, the standard health
 * service and server reflection, plus the engine objects it owns.
 *
 * <p>Roles ({@link Role}): {@code STORAGE} serves {@link StorageService} over local storage ({@link Storages#openLocal});
 * {@code BROKER} serves {@link BrokerService} over a {@link RemoteStorage}; {@code SERVER} serves
 * both over one local storage (the broker calls it directly, no second hop; other brokers
 * may still attach to its storage service).
 *
 * <p>Reloadable token and ACL files ({@link ServerSecurity#reloadables()}) are watched by a
 * {@link SecurityFileWatcher} the server owns; {@link #reloadSecurity()} re-reads them at once. A
 * token file change closes the Session streams of revoked tokens; an ACL file change closes the
 * subscriptions that are no longer allowed (publishes are checked per batch anyway).
 *
 * <p>Shutdown order ({@link #close()}): health goes NOT_SERVING, the server stops accepting calls,
 * client sessions end with UNAVAILABLE (their members commit acknowledged progress and leave),
 * in-flight unary calls drain for up to {@link #DRAIN_SECONDS}, then the broker engine and the
 * storage close in reverse order of opening.
 */
public final class GmqServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GmqServer.class);
    static final long DRAIN_SECONDS = 5;
    /** Head room above maxBatchBytes for the protobuf envelope around a frame. */
    static final int ENVELOPE_BYTES = 64 * 1024;

    public enum Role {
        SERVER,
        STORAGE,
        BROKER
    }

    private final Role role;
    private final Server server;
    private final HealthStatusManager health;
    private final BrokerService broker;
    private final StorageService storageService;
    private final ConnectionLimiter connections;
    private final Deque<AutoCloseable> owned;
    private final SecurityFileWatcher securityFiles;
    private ReplicatedStorage cluster;
    private boolean closed;

    private GmqServer(
            Role role,
            Server server,
            HealthStatusManager health,
            BrokerService broker,
            StorageService storageService,
            ConnectionLimiter connections,
            Deque<AutoCloseable> owned,
            SecurityFileWatcher securityFiles) {
        this.role = role;
        this.server = server;
        this.health = health;
        this.broker = broker;
        this.storageService = storageService;
        this.connections = connections;
        this.owned = owned;
        this.securityFiles = securityFiles;
    }

    /** Broker and storage in one process over the local data directory. */
    public static GmqServer standalone(GmqConfig config, String host, int port) {
        return standalone(config, host, port, ServerSecurity.none());
    }

    /** Broker and storage in one process, with TLS, authentication, ACLs and limits of {@code security}. */
    public static GmqServer standalone(GmqConfig config, String host, int port, ServerSecurity security) {
        Deque<AutoCloseable> owned = new ArrayDeque<>();
        try {
            Storage storage = Storages.openLocal(config);
            owned.push(storage);
            BrokerEngine engine = new BrokerEngine(storage, config);
            owned.push(engine);
            BrokerService broker = new BrokerService(
                    engine, security.brokerAccess(storage), security.limits().maxInFlightPublishesPerSession());
            StorageService storageService = new StorageService(storage);
            return start(Role.SERVER, config, host, port, security, broker, storageService, owned);
        } catch (RuntimeException e) {
            closeAll(owned);
            throw e;
        }
    }

    /** The storage process: logs and group state of the data directory, served to brokers. */
    public static GmqServer storage(GmqConfig config, String host, int port) {
        return storage(config, host, port, ServerSecurity.none());
    }

    /** The storage process with {@code security} (brokers authenticate by token or mutual TLS). */
    public static GmqServer storage(GmqConfig config, String host, int port, ServerSecurity security) {
        Deque<AutoCloseable> owned = new ArrayDeque<>();
        try {
            Storage storage = Storages.openLocal(config);
            owned.push(storage);
            return start(Role.STORAGE, config, host, port, security, null, new StorageService(storage), owned);
        } catch (RuntimeException e) {
            closeAll(owned);
            throw e;
        }
    }

    /**
     * One node of a replicated storage cluster: a Raft member of the storage group (its address
     * in {@code peers}) whose replicated storage is served to brokers as GmqStorage on
     * {@code host:port}. Announces {@code advertisedHost:port} to the other nodes once listening.
     */
    public static GmqServer storageNode(
            GmqConfig config,
            String host,
            int port,
            ServerSecurity security,
            ClusterPeers peers,
            String advertisedHost) {
        return storageNode(config, host, port, security, peers, advertisedHost, false);
    }

    /**
     * As {@link #storageNode(GmqConfig, String, int, ServerSecurity, ClusterPeers, String)}; with
     * {@code join}, a node that waits to be added to a running cluster (cluster add-node). The
     * server closes itself once the node's Raft server stops by itself (it was removed from the
     * cluster): brokers holding it move to another node.
     */
    public static GmqServer storageNode(
            GmqConfig config,
            String host,
            int port,
            ServerSecurity security,
            ClusterPeers peers,
            String advertisedHost,
            boolean join) {
        Deque<AutoCloseable> owned = new ArrayDeque<>();
        try {
            ReplicatedStorage storage = ReplicatedStorage.start(peers, config.dataDir(), config, join);
            owned.push(storage);
            GmqServer server =
                    start(Role.STORAGE, config, host, port, security, null, new StorageService(storage), owned);
            server.cluster = storage;
            storage.announce(advertisedHost + ":" + server.port());
            storage.whenRaftStops(server::close);
            return server;
        } catch (RuntimeException e) {
            closeAll(owned);
            throw e;
        }
    }

    /** The storage cluster this node belongs to, or null for a process that is not a cluster node. */
    public ReplicatedStorage cluster() {
        return cluster;
    }

    /**
     * A stateless broker over the storage process at {@code storageAddress} (host:port), or over
     * a storage cluster (any of its nodes, or several separated by commas; calls go to its leader).
     */
    public static GmqServer broker(GmqConfig config, String host, int port, String storageAddress) {
        return broker(config, host, port, storageAddress, ServerSecurity.none(), ChannelSecurity.PLAINTEXT);
    }

    /**
     * A broker whose listener has {@code security} and whose channel to storage uses
     * {@code storageSecurity} (TLS to the storage port, client certificate, broker token).
     */
    public static GmqServer broker(
            GmqConfig config,
            String host,
            int port,
            String storageAddress,
            ServerSecurity security,
            ChannelSecurity storageSecurity) {
        Deque<AutoCloseable> owned = new ArrayDeque<>();
        try {
            int maxInbound = config.maxBatchBytes() + ENVELOPE_BYTES;
            Storage storage = LeaderRoutedStorage.connect(storageAddress, maxInbound, storageSecurity);
            owned.push(storage);
            BrokerEngine engine = new BrokerEngine(storage, config);
            owned.push(engine);
            BrokerService broker = new BrokerService(
                    engine, security.brokerAccess(storage), security.limits().maxInFlightPublishesPerSession());
            return start(Role.BROKER, config, host, port, security, broker, null, owned);
        } catch (RuntimeException e) {
            closeAll(owned);
            throw e;
        }
    }

    private static GmqServer start(
            Role role,
            GmqConfig config,
            String host,
            int port,
            ServerSecurity security,
            BrokerService broker,
            StorageService storageService,
            Deque<AutoCloseable> owned) {
        ReloadingServerTls tls = security.tls() == null ? null : ReloadingServerTls.load(security.tls());
        SecurityFileWatcher securityFiles = watchSecurityFiles(security, tls, broker, owned);
        List<BindableService> services = new ArrayList<>(2);
        if (broker != null) {
            services.add(broker);
        }
        if (storageService != null) {
            services.add(storageService);
        }
        HealthStatusManager health = new HealthStatusManager();
        // Pushed last, so closed first: after the server has terminated, before the engine.
        ListenerTransport transport = security.newTransport();
        owned.push(transport);
        NettyServerBuilder b = security.serverBuilder(
                        new InetSocketAddress(host, port),
                        config.maxBatchBytes() + ENVELOPE_BYTES,
                        transport,
                        tls == null ? InsecureServerCredentials.create() : tls.credentials())
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance());
        for (BindableService s : services) {
            b.addService(StrictRequests.wrap(s.bindService()));
        }
        Server server = b.build();
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        if (config.meterRegistry() != null) {
            owned.push(ListenerMeters.register(config.meterRegistry(), transport.limiter(), broker));
        }
        health.setStatus("", ServingStatus.SERVING);
        for (BindableService s : services) {
            health.setStatus(s.bindService().getServiceDescriptor().getName(), ServingStatus.SERVING);
        }
        LOG.info(
                "GMQ {} listening on {}:{} ({}; {})",
                role.name().toLowerCase(java.util.Locale.ROOT),
                host,
                server.getPort(),
                config,
                security);
        return new GmqServer(role, server, health, broker, storageService, transport.limiter(), owned, securityFiles);
    }

    /**
     * Starts watching the reloadable security files of {@code security} and the TLS files
     * (owned: closed with the server) and ties their reloads to the open sessions of {@code broker}.
     */
    private static SecurityFileWatcher watchSecurityFiles(
            ServerSecurity security, ReloadingServerTls tls, BrokerService broker, Deque<AutoCloseable> owned) {
        if (broker != null) {
            if (security.authenticator() instanceof ReloadingTokenAuthenticator tokens) {
                owned.push(tokens.onReload(() -> broker.closeRevokedSessions(tokens::principalOfDigest)));
            }
            if (security.authorizer() instanceof ReloadingAclAuthorizer acls) {
                owned.push(acls.onReload(broker::recheckSubscriptions));
            }
        }
        List<Reloadable> files = new ArrayList<>(security.reloadables());
        if (tls != null) {
            files.add(tls);
        }
        SecurityFileWatcher watcher = SecurityFileWatcher.start(files, security.reloadInterval());
        owned.push(watcher);
        return watcher;
    }

    /**
     * Re-reads the token, ACL and TLS files now (the explicit reload hook; the files are also polled).
     *
     * @return true if any file changed
     * @throws io.gmq.GmqException naming the file and line if one does not parse; it keeps its
     *     previous version
     */
    public boolean reloadSecurity() {
        return securityFiles.reloadNow();
    }

    public Role role() {
        return role;
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.getPort();
    }

    /** Open and refused connection counts of the listener. */
    public ConnectionLimiter connections() {
        return connections;
    }

    /** True once the server has stopped and its calls have ended (after {@link #close()}). */
    public boolean isTerminated() {
        return server.isTerminated();
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LOG.info("GMQ {} shutting down", role.name().toLowerCase(java.util.Locale.ROOT));
        health.enterTerminalState();
        server.shutdown();
        if (broker != null) {
            broker.terminateSessions("broker is shutting down; reconnect to another broker");
        }
        if (storageService != null) {
            storageService.terminateStreams(
                    "storage is shutting down; retry when it is back", TimeUnit.SECONDS.toMillis(DRAIN_SECONDS));
        }
        try {
            if (!server.awaitTermination(DRAIN_SECONDS, TimeUnit.SECONDS)) {
                server.shutdownNow();
                server.awaitTermination(DRAIN_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        closeAll(owned);
        LOG.info("GMQ {} stopped", role.name().toLowerCase(java.util.Locale.ROOT));
    }

    private static void closeAll(Deque<AutoCloseable> owned) {
        while (!owned.isEmpty()) {
            AutoCloseable c = owned.pop();
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing {} failed", c.getClass().getSimpleName(), e);
            }
        }
    }
}
