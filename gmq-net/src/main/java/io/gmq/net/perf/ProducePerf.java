package io.gmq.net.perf;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.PublishOption;
import io.gmq.QoS;
import io.gmq.client.GmqClient;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code perf produce}: K producer threads publish N records of B bytes asynchronously (sharing one
 * client, or with {@code sharedClient == false} one client each), each with
 * at most {@code maxOutstanding} publishes awaiting their result; latency is publish call (or,
 * at a fixed rate, intended send time) to the completion of its future (QoS 1: durable ack).
 */
public final class ProducePerf {
    /** What to run. {@code partitions <= 0}: leave the topic as it is (auto-created with the default). */
    public record Spec(
            String topic,
            long records,
            int recordSize,
            QoS qos,
            int partitions,
            int producers,
            double throughput,
            boolean sharedClient,
            int maxOutstanding,
            int keys,
            java.time.Duration delay) {
        /** Records without keys, delivered at once. */
        public Spec(
                String topic,
                long records,
                int recordSize,
                QoS qos,
                int partitions,
                int producers,
                double throughput,
                boolean sharedClient,
                int maxOutstanding) {
            this(
                    topic,
                    records,
                    recordSize,
                    qos,
                    partitions,
                    producers,
                    throughput,
                    sharedClient,
                    maxOutstanding,
                    0,
                    null);
        }

        public Spec {
            require(keys >= 0, "--keys must not be negative");
            require(records > 0, "--records must be positive");
            require(recordSize >= 0, "--record-size must not be negative");
            require(producers >= 1, "--producers must be at least 1");
            require(maxOutstanding >= 1, "--max-outstanding must be at least 1");
        }
    }

    private final PerfTarget target;
    private final Spec spec;
    private final PrintStream out;
    private final AtomicReference<Throwable> firstError = new AtomicReference<>();

    public ProducePerf(PerfTarget target, Spec spec, PrintStream out) {
        this.target = target;
        this.spec = spec;
        this.out = out;
    }

    /** Runs to completion, prints the summary line and returns it. */
    public PerfStats.Snapshot run() throws InterruptedException {
        boolean shared = spec.sharedClient() || target.sharesOneClient();
        int clientCount = shared ? 1 : spec.producers();
        List<GmqClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < clientCount; i++) {
                clients.add(GmqClient.connect(target.config(i).build()));
            }
            if (spec.partitions() > 0) {
                PerfTarget.ensureTopic(clients.get(0), spec.topic(), spec.partitions());
            }
            PerfStats stats = new PerfStats();
            PerfStats.Snapshot total;
            try (ProgressReporter ignored = new ProgressReporter(stats, out)) {
                List<Thread> threads = new ArrayList<>();
                long startNanos = stats.startNanos();
                for (int i = 0; i < spec.producers(); i++) {
                    GmqClient c = clients.get(shared ? 0 : i);
                    long share = spec.records() / spec.producers() + (i < spec.records() % spec.producers() ? 1 : 0);
                    Pacer pacer = Pacer.of(spec.throughput() / spec.producers(), startNanos);
                    CpuUsage.ThreadSpan span = i == 0 ? producerCpu = new CpuUsage.ThreadSpan("producer", share) : null;
                    Thread t = new Thread(() -> produce(c, share, pacer, stats, span), "gmq-perf-producer-" + i);
                    threads.add(t);
                    t.start();
                }
                for (Thread t : threads) {
                    t.join();
                }
                total = stats.total(System.nanoTime());
            }
            failIfAnyError();
            out.println(total.summaryLine());
            out.flush();
            return total;
        } finally {
            for (GmqClient c : clients) {
                c.close();
            }
        }
    }

    /** CPU of the first producer thread, or null before the run. */
    public CpuUsage.ThreadSpan producerCpu() {
        return producerCpu;
    }

    private volatile CpuUsage.ThreadSpan producerCpu;

    /** Partition keys "k0" .. "k{n-1}", one option each, made once (records cycle through them); none for 0. */
    /** For each key option, the options {@code base} plus that key. */
    static PublishOption[][] withKeys(PublishOption[] base, PublishOption[] keys) {
        PublishOption[][] keyed = new PublishOption[keys.length][];
        for (int i = 0; i < keys.length; i++) {
            keyed[i] = java.util.Arrays.copyOf(base, base.length + 1);
            keyed[i][base.length] = keys[i];
        }
        return keyed;
    }

    static PublishOption[] keyOptions(int n) {
        PublishOption[] keys = new PublishOption[n];
        for (int i = 0; i < n; i++) {
            keys[i] = PublishOption.partitionKey("k" + i);
        }
        return keys;
    }

    private void produce(GmqClient client, long records, Pacer pacer, PerfStats stats, CpuUsage.ThreadSpan cpu) {
        byte[] payload = new byte[spec.recordSize()];
        new SplittableRandom(records).nextBytes(payload); // incompressible; never changed after
        PublishOption[] qos = spec.delay() == null
                ? new PublishOption[] {PublishOption.qos(spec.qos())}
                : new PublishOption[] {PublishOption.qos(spec.qos()), PublishOption.delay(spec.delay())};
        PublishOption[][] keyed = withKeys(qos, keyOptions(spec.keys()));
        Semaphore outstanding = new Semaphore(spec.maxOutstanding());
        int size = payload.length;
        try {
            for (long i = 0; i < records && firstError.get() == null; i++) {
                long sentAt = pacer.awaitSlot(i);
                outstanding.acquire();
                if (cpu != null) {
                    cpu.at(i);
                }
                (keyed.length == 0
                                ? client.publishAsync(spec.topic(), payload, qos)
                                : client.publishAsync(spec.topic(), payload, keyed[(int) (i % keyed.length)]))
                        .whenComplete((r, e) -> {
                            if (e != null) {
                                firstError.compareAndSet(null, e);
                            } else {
                                stats.record(System.nanoTime() - sentAt, size);
                            }
                            outstanding.release();
                        });
            }
            client.flush();
            // every permit back: every publish of this thread has completed
            if (!outstanding.tryAcquire(spec.maxOutstanding(), 5, TimeUnit.MINUTES)) {
                firstError.compareAndSet(
                        null,
                        new GmqException(
                                ErrorCode.DEADLINE_EXCEEDED, "publishes still unacknowledged after 5 minutes"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            firstError.compareAndSet(null, e);
        }
    }

    private void failIfAnyError() {
        Throwable e = firstError.get();
        if (e == null) {
            return;
        }
        Throwable cause = e.getCause() != null && !(e instanceof GmqException) ? e.getCause() : e;
        if (cause instanceof GmqException g) {
            throw g;
        }
        throw new GmqException(ErrorCode.UNAVAILABLE, "publish failed: " + cause, cause);
    }

    static void require(boolean ok, String message) {
        if (!ok) {
            throw GmqException.invalidArgument(message);
        }
    }
}
