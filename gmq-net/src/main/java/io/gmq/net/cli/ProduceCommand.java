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

    @Override
    public Integer call() throws Exception {
        if (qos != 0 && qos != 1) {
            throw GmqException.invalidArgument("--qos must be 0 or 1, was " + qos);
        }
        List<PublishOption> options = new ArrayList<>();
        options.add(PublishOption.qos(qos == 1 ? QoS.AT_LEAST_ONCE : QoS.AT_MOST_ONCE));
        if (key != null) {
            options.add(PublishOption.partitionKey(key));
        }
        if (partition != null) {
            options.add(PublishOption.partition(partition));
        }
        PublishOption[] opts = options.toArray(new PublishOption[0]);
        int failed = 0;
        try (GmqClient c = client.connect();
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            List<CompletableFuture<PublishResult>> window = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                window.add(c.publishAsync(topic, line.getBytes(StandardCharsets.UTF_8), opts));
                if (window.size() >= WINDOW) {
                    failed += drain(c, window);
                }
            }
            failed += drain(c, window);
        }
        return failed == 0 ? 0 : 1;
    }

    private int drain(GmqClient c, List<CompletableFuture<PublishResult>> window) {
        c.flush();
        int failed = 0;
        for (CompletableFuture<PublishResult> f : window) {
            try {
                PublishResult r = f.join();
                if (verbose) {
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
