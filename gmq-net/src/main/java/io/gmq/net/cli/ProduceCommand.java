package io.gmq.net.cli;

import io.gmq.GmqException;
import io.gmq.PublishOption;
import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.client.GmqClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "produce",
        mixinStandardHelpOptions = true,
        description = "Publishes one message per line of standard input.")
final class ProduceCommand implements Callable<Integer> {
    /** Publishes awaited together; bounds memory for endless input. */
    private static final int WINDOW = 10_000;

    @Mixin
    ClientOptions client;

    @Option(names = "--topic", required = true)
    String topic;

    @Option(names = "--key", description = "Partition key of every message.")
    String key;

    @Option(names = "--partition", description = "Explicit partition of every message.")
    Integer partition;

    @Option(names = "--qos", defaultValue = "1", description = "0 (at most once) or 1 (at least once, default).")
    int qos;

    @Option(names = "--verbose", description = "Print the partition and offset of each message.")
    boolean verbose;

    @Option(
            names = "--header",
            paramLabel = "NAME=VALUE",
            description = "A header of every message (repeatable; the value is UTF-8 text, may be empty).")
    List<String> headers = new ArrayList<>();

    @Option(
            names = "--key-separator",
            paramLabel = "SEP",
            description = "Each line is KEY SEP PAYLOAD (split at the first SEP); the key partitions it.")
    String keySeparator;

    @Option(
            names = "--timestamp",
            paramLabel = "EPOCH_MILLIS",
            description = "Timestamp of every message (default: the publish time).")
    Long timestamp;

    @Option(
            names = "--delay",
            paramLabel = "DURATION",
            description = "Deliver every message this long after it is published (e.g. 30s, 5m, 2h);"
                    + " storage keeps it in its schedule until then.")
    String delay;

    @Option(
            names = "--deliver-at",
            paramLabel = "ISO-8601",
            description = "Deliver every message at this time (e.g. 2026-12-24T18:00:00Z); a past time"
                    + " delivers at once.")
    String deliverAt;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (qos != 0 && qos != 1) {
            throw GmqException.invalidArgument("--qos must be 0 or 1, was " + qos);
        }
        if (key != null && keySeparator != null) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "give --key or --key-separator, not both");
        }
        if (keySeparator != null && keySeparator.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--key-separator must not be empty");
        }
        if (timestamp != null && timestamp < 0) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--timestamp must not be negative, was " + timestamp);
        }
        List<PublishOption> options = new ArrayList<>();
        options.add(PublishOption.qos(qos == 1 ? QoS.AT_LEAST_ONCE : QoS.AT_MOST_ONCE));
        if (key != null) {
            options.add(PublishOption.partitionKey(key));
        }
        for (String h : headers) {
            int eq = h.indexOf('=');
            if (eq <= 0) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "--header must be NAME=VALUE with a non-empty name, was '" + h + "'");
            }
            options.add(
                    PublishOption.header(h.substring(0, eq), h.substring(eq + 1).getBytes(StandardCharsets.UTF_8)));
        }
        if (timestamp != null) {
            options.add(PublishOption.timestamp(timestamp));
        }
        if (partition != null) {
            options.add(PublishOption.partition(partition));
        }
        PublishOption schedule = scheduleOption();
        if (schedule != null) {
            options.add(schedule);
        }
        PublishOption[] opts = options.toArray(new PublishOption[0]);
        int failed = 0;
        try (GmqClient c = client.connect();
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            List<CompletableFuture<PublishResult>> window = new ArrayList<>();
            String line;
            long lineNumber = 0;
            while ((line = in.readLine()) != null) {
                lineNumber++;
                PublishOption[] lineOpts = opts;
                if (keySeparator != null) {
                    int at = line.indexOf(keySeparator);
                    if (at < 0) {
                        failed += drain(c, window);
                        throw GmqException.invalidArgument(
                                "line " + lineNumber + " has no key separator '" + keySeparator + "'");
                    }
                    lineOpts = java.util.Arrays.copyOf(opts, opts.length + 1);
                    lineOpts[opts.length] = PublishOption.partitionKey(line.substring(0, at));
                    line = line.substring(at + keySeparator.length());
                }
                window.add(c.publishAsync(topic, line.getBytes(StandardCharsets.UTF_8), lineOpts));
                if (window.size() >= WINDOW) {
                    failed += drain(c, window);
                }
            }
            failed += drain(c, window);
        }
        return failed == 0 ? 0 : 1;
    }

    /** {@code --delay} or {@code --deliver-at} as an option, or null; a usage error for bad text or both. */
    private PublishOption scheduleOption() {
        if (delay != null && deliverAt != null) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "give --delay or --deliver-at, not both");
        }
        if (delay != null) {
            java.time.Duration d;
            try {
                d = io.gmq.Units.parseDuration(delay);
            } catch (RuntimeException e) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "--delay must be a duration such as 30s, 5m or 2h, was '" + delay + "'");
            }
            if (d.isNegative()) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "--delay must not be negative, was '" + delay + "'");
            }
            return PublishOption.delay(d);
        }
        if (deliverAt != null) {
            try {
                return PublishOption.deliverAt(java.time.Instant.parse(deliverAt));
            } catch (java.time.format.DateTimeParseException e) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(),
                        "--deliver-at must be an ISO-8601 instant such as 2026-12-24T18:00:00Z, was '" + deliverAt
                                + "'");
            }
        }
        return null;
    }

    private int drain(GmqClient c, List<CompletableFuture<PublishResult>> window) {
        c.flush();
        int failed = 0;
        for (CompletableFuture<PublishResult> f : window) {
            try {
                PublishResult r = f.join();
                if (verbose && r.scheduled()) {
                    System.out.println("partition " + r.partition() + " scheduled");
                } else if (verbose) {
                    System.out.println("partition " + r.partition() + " offset " + r.offset());
                }
            } catch (RuntimeException e) {
                failed++;
                System.err.println("error: " + GmqCli.describe(io.gmq.wire.GrpcErrors.unwrap(e)));
            }
        }
        window.clear();
        System.out.flush();
        return failed;
    }
}
