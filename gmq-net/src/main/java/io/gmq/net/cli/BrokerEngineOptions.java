package io.gmq.net.cli;

import io.gmq.GmqConfig;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * Settings of the broker engine (consumer groups, deliveries, dead-lettering, auto-creation of
 * topics) of the {@code server} and {@code broker} commands. A storage process delivers nothing:
 * it takes none of them, and creates a topic when a broker asks it to. Defaults are
 * {@link GmqConfig}'s.
 */
final class BrokerEngineOptions {
    @Option(
            names = "--auto-create-topics",
            defaultValue = "true",
            arity = "1",
            paramLabel = "true|false",
            description = "Create a topic on its first publish or subscribe (default ${DEFAULT-VALUE}).")
    boolean autoCreateTopics;

    @Option(
            names = "--session-timeout",
            defaultValue = "10s",
            paramLabel = "DURATION",
            converter = SettingSyntax.Time.class,
            description = "A group member that does not heartbeat for this long is removed (default ${DEFAULT-VALUE}).")
    Duration sessionTimeout;

    @Option(
            names = "--ack-timeout",
            defaultValue = "30s",
            paramLabel = "DURATION",
            converter = SettingSyntax.Time.class,
            description =
                    "A QoS 1 delivery not acknowledged in this time is delivered again (default ${DEFAULT-VALUE}).")
    Duration ackTimeout;

    @Option(
            names = "--max-in-flight-per-partition",
            defaultValue = "20000",
            paramLabel = "N",
            description = "Unacknowledged QoS 1 deliveries per partition and member (default ${DEFAULT-VALUE}).")
    int maxInFlightPerPartition;

    @Option(
            names = "--max-deliveries",
            defaultValue = "0",
            paramLabel = "N",
            description = "After this many deliveries a message goes to the dead-letter topic (topic +"
                    + " --dead-letter-suffix); 0 delivers it forever (default ${DEFAULT-VALUE}).")
    int maxDeliveries;

    @Option(
            names = "--dead-letter-suffix",
            defaultValue = ".dlq",
            paramLabel = "SUFFIX",
            description = "The dead-letter topic of T is T plus this (default ${DEFAULT-VALUE}).")
    String deadLetterSuffix;

    @Option(
            names = "--nack-backoff",
            defaultValue = "0s",
            paramLabel = "DURATION",
            converter = SettingSyntax.Time.class,
            description =
                    "Wait before a negatively acknowledged message is delivered again (default ${DEFAULT-VALUE}).")
    Duration nackBackoff;

    @Option(
            names = "--commit-interval",
            defaultValue = "100ms",
            paramLabel = "DURATION",
            converter = SettingSyntax.Time.class,
            description = "How often acknowledged progress is committed to storage (default ${DEFAULT-VALUE}).")
    Duration commitInterval;

    GmqConfig.Builder applyTo(GmqConfig.Builder b) {
        return b.autoCreateTopics(autoCreateTopics)
                .sessionTimeout(sessionTimeout)
                .ackTimeout(ackTimeout)
                .maxInFlightPerPartition(maxInFlightPerPartition)
                .maxDeliveries(maxDeliveries)
                .deadLetterSuffix(deadLetterSuffix)
                .nackBackoff(nackBackoff)
                .commitInterval(commitInterval);
    }
}
