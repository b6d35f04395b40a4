package io.gmq.net.cli;

import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.net.security.ClientCertPrincipal;
import io.gmq.net.security.NetLimits;
import io.gmq.net.security.ServerSecurity;
import io.gmq.net.security.ServerTls;
import io.gmq.security.Authenticator;
import io.gmq.security.Authorizer;
import io.gmq.security.ByteRateQuotas;
import io.gmq.security.ReloadingAclAuthorizer;
import io.gmq.security.ReloadingTokenAuthenticator;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * TLS, authentication, ACL and limit options of the server, storage and broker commands. The limits
 * of the storage engine alone (topics, partitions, open files) are in {@link StorageEngineOptions}.
 */
final class ServerSecurityOptions {
    @Option(names = "--tls-cert", paramLabel = "FILE", description = "Serve TLS with this PEM certificate chain.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PKCS#8 PEM private key of --tls-cert.")
    Path tlsKey;

    @Option(
            names = "--tls-client-ca",
            paramLabel = "FILE",
            description = "Require mutual TLS: clients must present a certificate chaining to this PEM CA file.")
    Path tlsClientCa;

    @Option(
            names = "--tls-client-principal",
            paramLabel = "dn|cn|off",
            description = "With --tls-client-ca: how a client certificate names a principal when the call carries no"
                    + " token: dn (full subject, e.g. CN=alice,O=Acme), cn (CN=alice -> alice) or off (token"
                    + " required). Default: dn without --token-file, off with it.")
    String tlsClientPrincipal;

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description = "Require a bearer token; lines 'TOKEN PRINCIPAL'. Re-read when it changes.")
    Path tokenFile;

    @Option(
            names = "--acl-file",
            paramLabel = "FILE",
            description = "Check every request against these ACLs (needs --token-file or client certificate"
                    + " principals); default deny. Re-read when it changes.")
    Path aclFile;

    @Option(
            names = "--quota-file",
            paramLabel = "FILE",
            description = "Per-principal byte rates (server and broker): lines 'PRINCIPAL"
                    + " publish-bytes-per-second=SIZE fetch-bytes-per-second=SIZE', '*' for the rest; a"
                    + " principal over its rate is slowed down. Re-read when it changes.")
    Path quotaFile;

    @Option(
            names = "--auth-reload-interval",
            paramLabel = "SECONDS",
            defaultValue = "5",
            description = "Seconds between checks of --token-file and --acl-file for changes; 0 = never"
                    + " (default ${DEFAULT-VALUE}).")
    long authReloadIntervalSeconds;

    @Option(
            names = "--max-connections",
            paramLabel = "N",
            defaultValue = "" + NetLimits.DEFAULT_MAX_CONNECTIONS,
            description = "Open connections in total; more are closed at accept (default ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(
            names = "--max-connections-per-ip",
            paramLabel = "N",
            defaultValue = "" + NetLimits.DEFAULT_MAX_CONNECTIONS_PER_IP,
            description = "Open connections from one IP address; more are closed at accept (default ${DEFAULT-VALUE}).")
    int maxConnectionsPerIp;

    @Option(
            names = "--max-calls-per-connection",
            paramLabel = "N",
            defaultValue = "" + NetLimits.DEFAULT_MAX_CONCURRENT_CALLS_PER_CONNECTION,
            description = "Concurrent calls (HTTP/2 streams) per connection (default ${DEFAULT-VALUE}).")
    int maxCallsPerConnection;

    @Option(
            names = "--max-metadata-bytes",
            paramLabel = "BYTES",
            defaultValue = "" + NetLimits.DEFAULT_MAX_INBOUND_METADATA_BYTES,
            description = "Header bytes of one call (default ${DEFAULT-VALUE}).")
    int maxMetadataBytes;

    @Option(
            names = "--max-in-flight-publishes",
            paramLabel = "N",
            defaultValue = "" + NetLimits.DEFAULT_MAX_IN_FLIGHT_PUBLISHES_PER_SESSION,
            description =
                    "Unanswered publish batches per client session before the broker stops reading it (default ${DEFAULT-VALUE}).")
    int maxInFlightPublishes;

    @Option(
            names = "--keepalive-time",
            paramLabel = "SECONDS",
            defaultValue = "60",
            description = "Seconds of quiet before the server pings a connection (default ${DEFAULT-VALUE}).")
    long keepAliveSeconds;

    @Option(
            names = "--permit-keepalive-time",
            paramLabel = "SECONDS",
            defaultValue = "5",
            description =
                    "Clients pinging more often than every this many seconds are disconnected (default ${DEFAULT-VALUE}).")
    long permitKeepAliveSeconds;

    @Option(
            names = "--max-connection-idle",
            paramLabel = "SECONDS",
            defaultValue = "600",
            description = "Seconds without any call before a connection is closed (default ${DEFAULT-VALUE}).")
    long maxConnectionIdleSeconds;

    @Option(
            names = "--max-connection-age",
            paramLabel = "SECONDS",
            defaultValue = "0",
            description =
                    "Seconds after which a connection is closed gracefully; 0 = never (default ${DEFAULT-VALUE}).")
    long maxConnectionAgeSeconds;

    @Option(
            names = "--max-rst-frames",
            paramLabel = "N",
            defaultValue = "" + NetLimits.DEFAULT_MAX_RST_FRAMES_PER_WINDOW,
            description =
                    "HTTP/2 rapid-reset guard: RST_STREAM frames per 10 s before a connection is closed; 0 = off (default ${DEFAULT-VALUE}).")
    int maxRstFrames;

    @Option(
            names = "--max-batch-bytes",
            paramLabel = "BYTES",
            converter = SettingSyntax.IntBytes.class,
            description = "Largest publish batch, and so the largest gRPC message a listener accepts (default 16 MiB).")
    Integer maxBatchBytes;

    @Option(
            names = "--max-message-bytes",
            paramLabel = "BYTES",
            converter = SettingSyntax.IntBytes.class,
            description = "Largest single message (default 1 MiB).")
    Integer maxMessageBytes;

    /** The engine limits given on the command line; the others keep GmqConfig's defaults. */
    GmqConfig.Builder applyLimits(GmqConfig.Builder b) {
        if (maxBatchBytes != null) {
            b.maxBatchBytes(maxBatchBytes);
        }
        if (maxMessageBytes != null) {
            b.maxMessageBytes(maxMessageBytes);
        }
        return b;
    }

    ServerSecurity security() {
        ServerTls tls = tlsCert == null && tlsKey == null && tlsClientCa == null
                ? null
                : new ServerTls(
                        tlsCert,
                        tlsKey,
                        tlsClientCa,
                        tlsClientPrincipal == null ? null : ClientCertPrincipal.parse(tlsClientPrincipal));
        if (tls == null && tlsClientPrincipal != null) {
            throw GmqException.invalidArgument(
                    "--tls-client-principal needs mutual TLS: --tls-cert, --tls-key and --tls-client-ca");
        }
        if (authReloadIntervalSeconds < 0) {
            throw GmqException.invalidArgument(
                    "--auth-reload-interval must be 0 (never) or positive, was " + authReloadIntervalSeconds);
        }
        Authenticator authenticator = tokenFile == null ? null : ReloadingTokenAuthenticator.load(tokenFile);
        Authorizer authorizer = aclFile == null ? null : ReloadingAclAuthorizer.load(aclFile);
        NetLimits limits = NetLimits.defaults()
                .withConnections(maxConnections, maxConnectionsPerIp)
                .withCalls(maxCallsPerConnection, maxMetadataBytes, maxInFlightPublishes)
                .withConnectionLifetime(
                        Duration.ofSeconds(keepAliveSeconds),
                        Duration.ofSeconds(permitKeepAliveSeconds),
                        Duration.ofSeconds(maxConnectionIdleSeconds),
                        Duration.ofSeconds(maxConnectionAgeSeconds))
                .withRstFramesPerWindow(maxRstFrames, NetLimits.DEFAULT_RST_WINDOW);
        return new ServerSecurity(
                tls,
                authenticator,
                authorizer,
                limits,
                Duration.ofSeconds(authReloadIntervalSeconds),
                quotaFile == null ? null : ByteRateQuotas.load(quotaFile));
    }
}
