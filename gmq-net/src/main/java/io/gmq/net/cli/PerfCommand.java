package io.gmq.net.cli;

import io.gmq.GmqException;
import io.gmq.QoS;
import io.gmq.net.perf.ConsumePerf;
import io.gmq.net.perf.CpuUsage;
import io.gmq.net.perf.EndToEndPerf;
import io.gmq.net.perf.PerfTarget;
import io.gmq.net.perf.ProducePerf;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code gmq.jar perf produce|consume|e2e}: load generators. Each prints a progress line per second
 * and then one summary line:
 * {@code N records, X records/s, Y MB/s, avg A ms, p50 B ms, p99 C ms, p99.9 D ms, max E ms},
 * and on stderr the process's CPU time per record ({@link CpuUsage}).
 * The same workload runs against brokers ({@code --server}) or in-process ({@code --embedded DIR}).
 */
@Command(
        name = "perf",
        mixinStandardHelpOptions = true,
        description = "Measures throughput and latency: produce, consume, e2e.",
        subcommands = {PerfCommand.Produce.class, PerfCommand.Consume.class, PerfCommand.EndToEnd.class})
final class PerfCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private static void printIfSet(String line) {
        if (line != null) {
            System.err.println(line);
        }
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: produce, consume or e2e");
    }

    /** {@code prefix} and 8 random hex digits: a group or topic of its own for one run. */
    private static String freshName(String prefix) {
        return prefix + UUID.randomUUID().toString().substring(0, 8);
    }

    /** How long a consuming run waits for its next record before it fails. */
    static final class IdleTimeout {
        @Option(
                names = "--idle-timeout-ms",
                paramLabel = "MS",
                defaultValue = "30000",
                description = "Fail after this long without a record (default ${DEFAULT-VALUE}).")
        long millis;
    }

    /** --server or --embedded, not both; and the client's publish batching. */
    static final class Target {
        @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec mixee;

        @Option(
                names = "--server",
                description = "Broker HOST:PORT, or several comma-separated: a client starts at the first and fails "
                        + "over to the next (perf produce --client-per-producer: producer i starts at the i-th). "
                        + "Default "
                        + PerfTarget.DEFAULT_SERVER + ".")
        String server;

        @Option(
                names = "--embedded",
                paramLabel = "DIR",
                description = "Run in-process on an embedded engine over this data directory.")
        String embedded;

        @Option(
                names = "--linger-ms",
                paramLabel = "MS",
                description = "How long a publish waits for others to share its batch (default: the client's, 2).")
        Double lingerMillis;

        @Option(
                names = "--batch-bytes",
                paramLabel = "BYTES",
                description = "Publish batch size limit (default: the client's, 256 KiB).")
        Integer batchBytes;

        @Option(
                names = "--idempotence",
                paramLabel = "true|false",
                arity = "1",
                description =
                        "Idempotent QoS 1 publishing: each batch stored exactly once (default: the client's, true).")
        Boolean idempotence;

        @Mixin
        ClientSecurityOptions security;

        PerfTarget resolve() {
            if (server != null && embedded != null) {
                throw new CommandLine.ParameterException(mixee.commandLine(), "give --server or --embedded, not both");
            }
            if (lingerMillis != null && lingerMillis < 0) {
                throw GmqException.invalidArgument("--linger-ms must not be negative, was " + lingerMillis);
            }
            Duration linger = lingerMillis == null ? null : Duration.ofNanos((long) (lingerMillis * 1_000_000));
            if (embedded != null) {
                return PerfTarget.embedded(embedded, linger, batchBytes).withIdempotence(idempotence);
            }
            return PerfTarget.server(server != null ? server : PerfTarget.DEFAULT_SERVER, linger, batchBytes)
                    .withSecurity(security.channelSecurity())
                    .withIdempotence(idempotence);
        }
    }

    static QoS qos(int qos) {
        if (qos != 0 && qos != 1) {
            throw GmqException.invalidArgument("--qos must be 0 or 1, was " + qos);
        }
        return qos == 1 ? QoS.AT_LEAST_ONCE : QoS.AT_MOST_ONCE;
    }

    @Command(
            name = "produce",
            mixinStandardHelpOptions = true,
            description = "Publishes N records of B bytes from K threads; latency is publish to ack.")
    static final class Produce implements Callable<Integer> {
        @Mixin
        Target target;

        @Option(names = "--topic", required = true)
        String topic;

        @Option(names = "--records", required = true, paramLabel = "N")
        long records;

        @Option(names = "--record-size", required = true, paramLabel = "B", description = "Payload bytes.")
        int recordSize;

        @Option(names = "--qos", defaultValue = "1", description = "0 or 1 (default ${DEFAULT-VALUE}).")
        int qos;

        @Option(
                names = "--partitions",
                paramLabel = "P",
                defaultValue = "0",
                description = "Create the topic with P partitions if absent (default: leave it to auto-creation).")
        int partitions;

        @Option(
                names = "--producers",
                paramLabel = "K",
                defaultValue = "1",
                description = "Producer threads (default ${DEFAULT-VALUE}).")
        int producers;

        @Option(
                names = "--throughput",
                paramLabel = "MSG_PER_S",
                defaultValue = "-1",
                description = "Total target rate; -1 for as fast as possible (default ${DEFAULT-VALUE}).")
        double throughput;

        @Option(
                names = "--client-per-producer",
                description = "Give each producer thread its own client (default: all share one, which measured "
                        + "faster on 2 cores: one connection, fuller batches).")
        boolean clientPerProducer;

        @Option(
                names = "--max-outstanding",
                defaultValue = "50000",
                description = "Publishes per thread awaiting their result (default ${DEFAULT-VALUE}).")
        int maxOutstanding;

        @Option(
                names = "--keys",
                paramLabel = "K",
                defaultValue = "0",
                description = "Give records partition keys k0..k{K-1} in turn (default ${DEFAULT-VALUE}: no keys).")
        int keys;

        @Option(
                names = "--delay",
                paramLabel = "DURATION",
                description = "Publish every record delayed by this long (e.g. 30s): measures publishing into"
                        + " storage's schedule; the latency is publish to the schedule's ack.")
        String delay;

        @Override
        public Integer call() throws Exception {
            CpuUsage cpu = new CpuUsage();
            ProducePerf perf = new ProducePerf(
                    target.resolve(),
                    new ProducePerf.Spec(
                            topic,
                            records,
                            recordSize,
                            qos(qos),
                            partitions,
                            producers,
                            throughput,
                            !clientPerProducer,
                            maxOutstanding,
                            keys,
                            delay == null ? null : io.gmq.Units.parseDuration(delay)),
                    System.out);
            var total = perf.run();
            System.err.println(cpu.line(total.records())); // stdout ends with the summary line (a contract)
            printIfSet(perf.producerCpu() == null ? null : perf.producerCpu().line());
            return 0;
        }
    }

    @Command(
            name = "consume",
            mixinStandardHelpOptions = true,
            description = "Consumes N records as one group member, acknowledging each.")
    static final class Consume implements Callable<Integer> {
        @Mixin
        Target target;

        @Option(names = "--topic", required = true)
        String topic;

        @Option(names = "--records", required = true, paramLabel = "N")
        long records;

        @Option(
                names = "--group",
                description = "Consumer group (default: a new one, starting at the earliest offset).")
        String group;

        @Option(
                names = "--credits",
                defaultValue = "100000",
                description = "Records the broker may send ahead of the handler (default ${DEFAULT-VALUE}; the"
                        + " broker's window of unacknowledged records per partition caps it too).")
        int credits;

        @Mixin
        IdleTimeout idle;

        @Option(
                names = "--warmup-records",
                paramLabel = "N",
                defaultValue = "0",
                description = "Records consumed and acknowledged before measuring, so JIT compilation of"
                        + " this JVM is not measured (default ${DEFAULT-VALUE}).")
        long warmupRecords;

        @Option(
                names = "--ordering",
                defaultValue = "partition",
                description = "partition (default) or key: the group's redelivery order.")
        String ordering;

        @Option(
                names = "--members",
                paramLabel = "N",
                defaultValue = "1",
                description = "Group members consuming together, each on its own connection (default"
                        + " ${DEFAULT-VALUE}; in an ordered group members beyond the partition count stay idle).")
        int members;

        @Option(
                names = "--share",
                description = "Consume as a share group: every member consumes every partition, records"
                        + " acquired one by one under locks.")
        boolean share;

        @Override
        public Integer call() throws Exception {
            String g = group != null ? group : freshName("gmq-perf-");
            CpuUsage cpu = new CpuUsage();
            ConsumePerf perf = new ConsumePerf(
                    target.resolve(),
                    new ConsumePerf.Spec(
                            topic, records, g, credits, idle.millis, warmupRecords, ordering(ordering), members, share),
                    System.out);
            var total = perf.run();
            System.err.println(cpu.line(total.records())); // stdout ends with the summary line (a contract)
            printIfSet(perf.handlerCpu().line());
            return 0;
        }
    }

    @Command(
            name = "e2e",
            mixinStandardHelpOptions = true,
            description = "One producer at a fixed rate, one consumer; latency is send to handler.")
    static final class EndToEnd implements Callable<Integer> {
        @Mixin
        Target target;

        @Option(names = "--records", required = true, paramLabel = "N")
        long records;

        @Option(names = "--record-size", required = true, paramLabel = "B", description = "Payload bytes (>= 8).")
        int recordSize;

        @Option(
                names = "--rate",
                paramLabel = "MSG_PER_S",
                defaultValue = "1000",
                description = "Send rate; -1 for as fast as possible (default ${DEFAULT-VALUE}).")
        double rate;

        @Option(names = "--topic", description = "Topic (default: a new one per run).")
        String topic;

        @Option(names = "--qos", defaultValue = "1", description = "0 or 1 (default ${DEFAULT-VALUE}).")
        int qos;

        @Option(
                names = "--partitions",
                paramLabel = "P",
                defaultValue = "3",
                description = "Partitions of a new topic (default ${DEFAULT-VALUE}).")
        int partitions;

        @Option(
                names = "--max-outstanding",
                defaultValue = "50000",
                description = "Publishes awaiting their result (default ${DEFAULT-VALUE}).")
        int maxOutstanding;

        @Mixin
        IdleTimeout idle;

        @Option(
                names = "--warmup-records",
                paramLabel = "N",
                defaultValue = "0",
                description = "Records sent and consumed at the same rate before measuring, so JIT"
                        + " compilation is not measured (default ${DEFAULT-VALUE}).")
        int warmupRecords;

        @Option(
                names = "--keys",
                paramLabel = "K",
                defaultValue = "0",
                description = "Give records partition keys k0..k{K-1} in turn (default ${DEFAULT-VALUE}: no keys).")
        int keys;

        @Option(
                names = "--ordering",
                defaultValue = "partition",
                description = "partition (default) or key: the consumer group's redelivery order.")
        String ordering;

        @Override
        public Integer call() throws Exception {
            String t = topic != null ? topic : freshName("perf-e2e-");
            CpuUsage cpu = new CpuUsage();
            EndToEndPerf perf = new EndToEndPerf(
                    target.resolve(),
                    new EndToEndPerf.Spec(
                            t,
                            records,
                            recordSize,
                            rate,
                            qos(qos),
                            partitions,
                            maxOutstanding,
                            idle.millis,
                            warmupRecords,
                            keys,
                            ordering(ordering)),
                    System.out);
            var total = perf.run();
            System.err.println(cpu.line(total.records())); // stdout ends with the summary line (a contract)
            perf.threadCpuLines().forEach(PerfCommand::printIfSet);
            return 0;
        }
    }

    /** The --ordering value: partition or key (any case); INVALID_ARGUMENT otherwise. */
    static io.gmq.Ordering ordering(String value) {
        try {
            return io.gmq.Ordering.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw io.gmq.GmqException.invalidArgument("--ordering must be partition or key, not '" + value + "'");
        }
    }
}
