package io.gmq.net.cli;

import io.gmq.GmqConfig;
import io.gmq.net.cluster.ClusterPeers;
import io.gmq.net.metrics.MetricsEndpoint;
import io.gmq.net.server.GmqServer;
import io.gmq.wire.ChannelSecurity;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The three process commands: server (broker + storage), storage, broker. */
final class ServeCommands {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommands.class);

    private ServeCommands() {}

    /** Options every process shares. */
    abstract static class ProcessOptions implements Callable<Integer> {
        @Option(names = "--host", defaultValue = "0.0.0.0", description = "Address to bind (default ${DEFAULT-VALUE}).")
        String host;

        @Option(
                names = "--metrics-port",
                paramLabel = "PORT",
                description = "Serve Prometheus metrics on http://HOST:PORT/metrics (HOST: --host); 0 picks a"
                        + " free port. Off when not given.")
        Integer metricsPort;

        @Mixin
        ServerSecurityOptions security;

        @Mixin
        ConfigOptions configuration;

        @Spec
        CommandSpec processSpec;

        /** Sets the engine settings this process uses, and only those, on {@code b}. */
        abstract GmqConfig.Builder engine(GmqConfig.Builder b);

        GmqConfig config() {
            return configuration.build(security.applyLimits(engine(GmqConfig.builder())));
        }

        abstract GmqServer start(GmqConfig config);

        /** The gRPC port asked for (0: any). */
        abstract int port();

        /** Further lines a process prints after the first one. */
        void printAfterListening(GmqServer server) {}

        @Override
        public Integer call() throws Exception {
            GmqConfig config = config();
            EffectiveConfig effective = EffectiveConfig.of(configuration, config);
            if (configuration.printConfig) {
                effective.print(System.out, configuration.path());
                return 0;
            }
            checkMetricsPort();
            // Bound before the data directory is opened: a port in use fails at once, not after recovery.
            MetricsEndpoint metrics = metricsPort == null ? null : MetricsEndpoint.start(host, metricsPort);
            GmqServer server;
            try {
                LOG.info(effective.logLine(configuration.path()));
                server = start(
                        metrics == null
                                ? config
                                : config.toBuilder()
                                        .meterRegistry(metrics.registry())
                                        .build());
            } catch (RuntimeException | Error e) {
                if (metrics != null) {
                    metrics.close();
                }
                throw e;
            }
            // The first line of standard output; scripts and tests read the port from it.
            System.out.println("listening on " + host + ":" + server.port());
            printAfterListening(server);
            if (metrics != null) {
                System.out.println("metrics on http://" + host + ":" + metrics.port() + MetricsEndpoint.PATH);
            }
            System.out.flush();
            Thread hook = new Thread(
                    () -> {
                        server.close();
                        if (metrics != null) {
                            metrics.close();
                        }
                    },
                    "gmq-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            server.awaitTermination();
            return 0;
        }

        private void checkMetricsPort() {
            if (metricsPort == null) {
                return;
            }
            if (metricsPort < 0 || metricsPort > 65_535) {
                throw new ParameterException(
                        processSpec.commandLine(),
                        "--metrics-port must be 0 (a free port) to 65535, was " + metricsPort);
            }
            if (metricsPort != 0 && metricsPort == port()) {
                throw new ParameterException(
                        processSpec.commandLine(),
                        "--metrics-port " + metricsPort
                                + " is also --port; give the metrics endpoint a port of its own");
            }
        }
    }

    @Command(
            name = "server",
            mixinStandardHelpOptions = true,
            description = "Broker and storage in one process, over the local data directory.")
    static final class Server extends ProcessOptions {
        @Option(
                names = "--port",
                defaultValue = "50051",
                description = "Port; 0 picks a free one (default ${DEFAULT-VALUE}).")
        int port;

        @Mixin
        StorageEngineOptions storageEngine;

        @Mixin
        BrokerEngineOptions brokerEngine;

        @Override
        GmqConfig.Builder engine(GmqConfig.Builder b) {
            return brokerEngine.applyTo(storageEngine.applyTo(b));
        }

        @Override
        int port() {
            return port;
        }

        @Override
        GmqServer start(GmqConfig config) {
            return GmqServer.standalone(config, host, port, security.security());
        }
    }

    @Command(
            name = "storage",
            mixinStandardHelpOptions = true,
            description = "The storage process: partition logs and group state, served to brokers.")
    static final class StorageProcess extends ProcessOptions {
        @Option(
                names = "--port",
                defaultValue = "50052",
                description = "Port; 0 picks a free one (default ${DEFAULT-VALUE}).")
        int port;

        @Mixin
        StorageEngineOptions storageEngine;

        @Option(
                names = "--node-id",
                paramLabel = "ID",
                description = "Run as this node of a replicated storage cluster (docs/CLUSTER.md).")
        String nodeId;

        @Option(
                names = "--raft-port",
                paramLabel = "PORT",
                description =
                        "Raft port of this node; 0 picks a free one (single node only). Default: its port in --peers.")
        Integer raftPort;

        @Option(
                names = "--peers",
                paramLabel = "ID=HOST:PORT,...",
                description = "Every node of the cluster with its Raft address, this one included."
                        + " Without it, --node-id and --raft-port make a one-node cluster.")
        String peers;

        @Option(
                names = "--join",
                description = "Join a running storage cluster: start as a node that is not a member yet and"
                        + " waits for `cluster add-node` (--peers: the members and this node; an empty"
                        + " --data-dir). Harmless once the node is a member.")
        boolean join;

        @Spec
        CommandSpec spec;

        private ClusterPeers cluster;

        @Override
        GmqConfig.Builder engine(GmqConfig.Builder b) {
            return storageEngine.applyTo(b);
        }

        @Override
        int port() {
            return port;
        }

        @Override
        GmqServer start(GmqConfig config) {
            if (nodeId == null && raftPort == null && peers == null && !join) {
                return GmqServer.storage(config, host, port, security.security());
            }
            if (join && peers == null) {
                throw new ParameterException(
                        spec.commandLine(),
                        "--join needs --peers: the members of the cluster it joins and this node, ID=HOST:PORT,...");
            }
            cluster = clusterPeers();
            String advertised = "0.0.0.0".equals(host) || "::".equals(host)
                    ? cluster.selfAddress().substring(0, cluster.selfAddress().lastIndexOf(':'))
                    : host;
            return GmqServer.storageNode(config, host, port, security.security(), cluster, advertised, join);
        }

        private ClusterPeers clusterPeers() {
            if (nodeId == null) {
                throw new ParameterException(spec.commandLine(), "--raft-port and --peers need --node-id");
            }
            try {
                if (peers == null) {
                    if (raftPort == null) {
                        throw new ParameterException(
                                spec.commandLine(), "a cluster node needs --peers, or --raft-port for a single node");
                    }
                    String raftHost = "0.0.0.0".equals(host) ? "127.0.0.1" : host;
                    return raftPort == 0
                            ? onFreePort(raftHost)
                            : ClusterPeers.single(nodeId, raftHost + ":" + raftPort);
                }
                // parse refuses port 0 in a list of several nodes, so a 0 here is a single node's.
                ClusterPeers parsed = ClusterPeers.parse(nodeId, peers);
                if (raftPort != null && !parsed.selfAddress().endsWith(":" + raftPort)) {
                    throw new ParameterException(
                            spec.commandLine(),
                            "--raft-port " + raftPort + " differs from node " + nodeId + "'s address in --peers ("
                                    + parsed.selfAddress() + ")");
                }
                String self = parsed.selfAddress();
                return self.endsWith(":0") ? onFreePort(self.substring(0, self.lastIndexOf(':'))) : parsed;
            } catch (io.gmq.GmqException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }

        /** A one-node cluster on a port of {@code raftHost} free now (another process may take it first, rarely). */
        private ClusterPeers onFreePort(String raftHost) {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(raftHost))) {
                return ClusterPeers.single(nodeId, raftHost + ":" + s.getLocalPort());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot find a free Raft port on " + raftHost + ": " + e, e);
            }
        }

        @Override
        void printAfterListening(GmqServer server) {
            if (cluster != null) {
                System.out.println("raft on " + cluster.selfAddress());
            }
        }
    }

    @Command(
            name = "broker",
            mixinStandardHelpOptions = true,
            description = "A stateless broker over a storage process.")
    static final class Broker extends ProcessOptions {
        @Option(
                names = "--port",
                defaultValue = "50051",
                description = "Port; 0 picks a free one (default ${DEFAULT-VALUE}).")
        int port;

        @Option(
                names = "--storage",
                required = true,
                description = "The storage process, HOST:PORT; or nodes of a storage cluster, HOST:PORT,HOST:PORT,..."
                        + " (any of them, any order: the broker holds one and moves on when it is lost).")
        String storage;

        @Option(
                names = "--storage-tls-ca",
                paramLabel = "FILE",
                description = "Connect to storage with TLS, trusting this PEM CA file.")
        Path storageTlsCa;

        @Option(
                names = "--storage-tls-cert",
                paramLabel = "FILE",
                description = "Broker certificate (PEM) for mutual TLS to storage; needs --storage-tls-ca.")
        Path storageTlsCert;

        @Option(names = "--storage-tls-key", paramLabel = "FILE", description = "PKCS#8 PEM key of --storage-tls-cert.")
        Path storageTlsKey;

        @Option(
                names = "--storage-token",
                paramLabel = "TOKEN",
                description =
                        "Broker token for a storage process started with --token-file (default: GMQ_STORAGE_TOKEN).")
        String storageToken;

        @Mixin
        BrokerEngineOptions brokerEngine;

        @Override
        GmqConfig.Builder engine(GmqConfig.Builder b) {
            return brokerEngine.applyTo(b);
        }

        @Override
        int port() {
            return port;
        }

        @Override
        GmqServer start(GmqConfig config) {
            String token = storageToken != null ? storageToken : System.getenv("GMQ_STORAGE_TOKEN");
            ChannelSecurity toStorage = new ChannelSecurity(
                    storageTlsCa, storageTlsCert, storageTlsKey, token == null || token.isEmpty() ? null : token);
            return GmqServer.broker(config, host, port, storage, security.security(), toStorage);
        }
    }
}
