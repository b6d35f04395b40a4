package io.gmq.net.cli;

import io.gmq.AckMode;
import io.gmq.ConsumeMessage;
import io.gmq.Header;
import io.gmq.OffsetSpec;
import io.gmq.PartitionReader;
import io.gmq.TopicPartition;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Prints one message per line. As a group member it acknowledges only what it printed (manual
 * acks), so messages past --max-messages stay with the group for its next member. With
 * {@code --partition} it reads that partition from {@code --offset} without any group.
 *
 * <p>A line is its fields separated by tabs, each only if asked for, in this order:
 * {@code PARTITION:OFFSET}, timestamp (epoch millis), key, headers ({@code NAME=VALUE,...}),
 * payload. {@code --format} encodes key, header values and payload (text: UTF-8 as is).
 */
@Command(
        name = "consume",
        mixinStandardHelpOptions = true,
        description = "Consumes a topic as a group member (or one partition without a group, --partition) and"
                + " prints one message per line.")
final class ConsumeCommand implements Callable<Integer> {
    /** How bytes are printed: as UTF-8 text, or binary-safe. */
    enum Format {
        TEXT,
        BASE64,
        HEX
    }

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions client;

    @Option(names = "--topic", required = true)
    String topic;

    @Option(names = "--group", description = "Consumer group (default: a new group of its own).")
    String group;

    @Option(names = "--client-id")
    String clientId;

    @Option(
            names = "--from",
            defaultValue = "earliest",
            description =
                    "Where a group without committed offsets starts: earliest or latest (default ${DEFAULT-VALUE}).")
    String from;

    @Option(
            names = "--partition",
            paramLabel = "P",
            description = "Read only partition P, without a group: nothing is committed or acknowledged.")
    Integer partition;

    @Option(
            names = "--offset",
            paramLabel = "N|earliest|latest",
            description = "With --partition: where to start (default earliest).")
    String offset;

    @Option(names = "--max-messages", description = "Exit after this many messages.")
    Long maxMessages;

    @Option(names = "--timeout-ms", description = "Exit after this long without a message.")
    Long timeoutMs;

    @Option(names = "--print-key")
    boolean printKey;

    @Option(names = "--print-offset")
    boolean printOffset;

    @Option(names = "--print-timestamp", description = "Print each message's timestamp (epoch millis).")
    boolean printTimestamp;

    @Option(names = "--print-headers", description = "Print each message's headers as NAME=VALUE,...")
    boolean printHeaders;

    @Option(
            names = "--format",
            defaultValue = "text",
            paramLabel = "text|base64|hex",
            description = "How key, header values and payload are printed; base64 and hex are binary-safe"
                    + " (default ${DEFAULT-VALUE}).")
    Format format;

    private final Object lock = new Object();
    private long consumed;
    private long lastMessageNanos = System.nanoTime();

    @Override
    public Integer call() throws Exception {
        PrintWriter out =
                new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
        if (partition != null) {
            return readPartition(out);
        }
        if (offset != null) {
            throw new ParameterException(spec.commandLine(), "--offset needs --partition (a group starts with --from)");
        }
        OffsetSpec start = switch (from) {
            case "earliest" -> OffsetSpec.earliest();
            case "latest" -> OffsetSpec.latest();
            default ->
                throw io.gmq.GmqException.invalidArgument("--from must be earliest or latest, was '" + from + "'");
        };
        ClientConfig.Builder cfg = client.config()
                .consumerGroup(
                        group != null
                                ? group
                                : "gmq-console-" + UUID.randomUUID().toString().substring(0, 8))
                .startFrom(start)
                .ackMode(AckMode.MANUAL)
                .messageHandler(m -> handle(m, out));
        if (clientId != null) {
            cfg.clientId(clientId);
        }
        try (GmqClient c = GmqClient.connect(cfg.build())) {
            c.subscribe(topic);
            synchronized (lock) {
                while (maxMessages == null || consumed < maxMessages) {
                    long waitMillis = 1000;
                    if (timeoutMs != null) {
                        long silentMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastMessageNanos);
                        if (silentMillis >= timeoutMs) {
                            break;
                        }
                        waitMillis = Math.max(1, timeoutMs - silentMillis);
                    }
                    lock.wait(waitMillis);
                    out.flush();
                }
            }
            out.flush();
        }
        out.flush();
        return 0;
    }

    /** {@code --partition}: polls one partition with a reader until --max-messages or --timeout-ms. */
    private int readPartition(PrintWriter out) {
        if (group != null) {
            throw new ParameterException(spec.commandLine(), "--partition reads without a group; drop --group");
        }
        if (partition < 0) {
            throw new ParameterException(spec.commandLine(), "--partition must not be negative, was " + partition);
        }
        OffsetSpec start = startOffset();
        try (GmqClient c = client.connect()) {
            PartitionReader reader = c.reader(new TopicPartition(topic, partition), start);
            long silentSince = System.nanoTime();
            while (maxMessages == null || consumed < maxMessages) {
                long waitMillis = 1000;
                if (timeoutMs != null) {
                    long silentMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - silentSince);
                    if (silentMillis >= timeoutMs) {
                        break;
                    }
                    waitMillis = Math.max(1, timeoutMs - silentMillis);
                }
                int max = maxMessages == null ? 1000 : (int) Math.min(1000, maxMessages - consumed);
                var batch = reader.poll(max, Duration.ofMillis(waitMillis));
                for (ConsumeMessage m : batch) {
                    out.println(line(m));
                    consumed++;
                }
                if (!batch.isEmpty()) {
                    silentSince = System.nanoTime();
                }
                out.flush();
            }
        }
        out.flush();
        return 0;
    }

    private OffsetSpec startOffset() {
        if (offset == null || offset.equals("earliest")) {
            return OffsetSpec.earliest();
        }
        if (offset.equals("latest")) {
            return OffsetSpec.latest();
        }
        try {
            long n = Long.parseLong(offset);
            if (n >= 0) {
                return OffsetSpec.offset(n);
            }
        } catch (NumberFormatException e) {
            // the usage error below
        }
        throw new ParameterException(
                spec.commandLine(), "--offset must be an offset >= 0, earliest or latest, was '" + offset + "'");
    }

    private void handle(ConsumeMessage m, PrintWriter out) {
        synchronized (lock) {
            if (maxMessages != null && consumed >= maxMessages) {
                return; // not acknowledged: stays with the group
            }
            out.println(line(m));
            consumed++;
            lastMessageNanos = System.nanoTime();
            m.ack();
            lock.notifyAll();
        }
    }

    /** One output line: the asked-for fields, tab separated, then the payload. */
    String line(ConsumeMessage m) {
        StringBuilder b = new StringBuilder();
        if (printOffset) {
            b.append(m.partition()).append(':').append(m.offset()).append('\t');
        }
        if (printTimestamp) {
            b.append(m.timestamp()).append('\t');
        }
        if (printKey) {
            b.append(m.key() == null ? "" : bytes(m.key())).append('\t');
        }
        if (printHeaders) {
            boolean first = true;
            for (Header h : m.headers()) {
                b.append(first ? "" : ",").append(h.name()).append('=').append(bytes(h.value()));
                first = false;
            }
            b.append('\t');
        }
        return b.append(bytes(m.payload())).toString();
    }

    private String bytes(byte[] b) {
        return switch (format) {
            case TEXT -> new String(b, StandardCharsets.UTF_8);
            case BASE64 -> Base64.getEncoder().encodeToString(b);
            case HEX -> HexFormat.of().formatHex(b);
        };
    }
}
