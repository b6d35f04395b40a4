package io.gmq.net.cli;

import io.gmq.AckMode;
import io.gmq.ConsumeMessage;
import io.gmq.OffsetSpec;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Prints one message per line. Acknowledges only what it printed (manual acks), so messages past
 * --max-messages stay with the group for its next member.
 */
@Command(
        name = "consume",
        mixinStandardHelpOptions = true,
        description = "Consumes a topic as a group member and prints one message per line.")
final class ConsumeCommand implements Callable<Integer> {
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

    @Option(names = "--max-messages", description = "Exit after this many messages.")
    Long maxMessages;

    @Option(names = "--timeout-ms", description = "Exit after this long without a message.")
    Long timeoutMs;

    @Option(names = "--print-key")
    boolean printKey;

    @Option(names = "--print-offset")
    boolean printOffset;

    private final Object lock = new Object();
    private long consumed;
    private long lastMessageNanos = System.nanoTime();

    @Override
    public Integer call() throws Exception {
        OffsetSpec start = switch (from) {
            case "earliest" -> OffsetSpec.earliest();
            case "latest" -> OffsetSpec.latest();
            default ->
                throw io.gmq.GmqException.invalidArgument("--from must be earliest or latest, was '" + from + "'");
        };
        PrintWriter out =
                new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
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

    private void handle(ConsumeMessage m, PrintWriter out) {
        synchronized (lock) {
            if (maxMessages != null && consumed >= maxMessages) {
                return; // not acknowledged: stays with the group
            }
            if (printOffset) {
                out.print(m.partition() + ":" + m.offset() + "\t");
            }
            if (printKey) {
                out.print((m.key() == null ? "" : m.keyAsString()) + "\t");
            }
            out.println(m.payloadAsString());
            consumed++;
            lastMessageNanos = System.nanoTime();
            m.ack();
            lock.notifyAll();
        }
    }
}
