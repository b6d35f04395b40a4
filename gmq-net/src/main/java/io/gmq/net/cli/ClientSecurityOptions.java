package io.gmq.net.cli;

import io.gmq.client.ClientConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** TLS and token options of every client command (docs/SECURITY.md). */
final class ClientSecurityOptions {
    @Option(
            names = "--tls-ca",
            paramLabel = "FILE",
            description = "Connect with TLS; trust brokers whose certificate chains to this PEM CA file.")
    Path tlsCa;

    @Option(
            names = "--tls-cert",
            paramLabel = "FILE",
            description = "Client certificate (PEM) for mutual TLS; needs --tls-ca and --tls-key.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PKCS#8 PEM private key of --tls-cert.")
    Path tlsKey;

    @Option(
            names = "--token",
            paramLabel = "TOKEN",
            description = "Bearer token sent to the broker (default: the GMQ_TOKEN environment variable).")
    String token;

    ClientConfig.Builder apply(ClientConfig.Builder b) {
        return b.tls(tlsCa).tlsClientCert(tlsCert, tlsKey).token(token());
    }

    /** The same settings for a channel of our own (ping, health) or a perf run. */
    io.gmq.wire.ChannelSecurity channelSecurity() {
        return new io.gmq.wire.ChannelSecurity(tlsCa, tlsCert, tlsKey, token());
    }

    private String token() {
        String t = token != null ? token : System.getenv("GMQ_TOKEN");
        return t == null || t.isEmpty() ? null : t;
    }
}
