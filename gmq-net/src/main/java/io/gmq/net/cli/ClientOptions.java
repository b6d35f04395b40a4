package io.gmq.net.cli;

import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The --server option of every client command. */
final class ClientOptions {
    @Option(
            names = "--server",
            defaultValue = "localhost:50051",
            description = "Broker HOST:PORT, several comma separated, or embedded:DIR (default ${DEFAULT-VALUE}).")
    String server;

    @Option(
            names = "--connect-timeout",
            defaultValue = "0",
            paramLabel = "MILLIS",
            description = "How long to keep trying to reach a broker at start, with backoff (default ${DEFAULT-VALUE}:"
                    + " each address once, a one-line error at once if none answers).")
    long connectTimeoutMillis;

    @Mixin
    ClientSecurityOptions security;

    GmqClient connect() {
        return GmqClient.connect(config().build());
    }

    ClientConfig.Builder config() {
        return security.apply(
                ClientConfig.builder().serverAddr(server).connectTimeout(Duration.ofMillis(connectTimeoutMillis)));
    }
}
