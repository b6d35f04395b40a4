package io.gmq.bench;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.noop.NoopCounter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What one metrics call on GMQ's hot paths costs, in the registry a process serves
 * ({@code --metrics-port}: Prometheus) and without one (no-op). Each is made once per publish batch,
 * partition write, group commit or fsync, never per record (docs/PERFORMANCE.md, "Metrics cost"):
 *
 * <ul>
 *   <li>{@link #timedBatch}: two clock reads and a sample of a timer with a percentile histogram,
 *       as {@code gmq.publish.latency} and {@code gmq.log.fsync} take;
 *   <li>{@link #partitionWrite}: the two topic counters of one partition run;
 *   <li>{@link #groupCommit}: the two summaries of one group commit;
 *   <li>{@link #partitionWriteWithoutRegistry}: the same counters as no-ops (an engine without a
 *       registry).
 * </ul>
 *
 * Run with {@code -t 1} and {@code -t 2} (two threads share the meters, as writer and syncer do).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx1g"})
@State(Scope.Benchmark)
public class MeterCostBenchmark {
    PrometheusMeterRegistry registry;
    Clock clock;
    Timer timer;
    Counter records;
    Counter bytes;
    DistributionSummary batches;
    DistributionSummary commitBytes;
    Counter noopRecords;
    Counter noopBytes;

    @Setup
    public void register() {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        clock = registry.config().clock();
        timer = Timer.builder("gmq.publish.latency")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        records = Counter.builder("gmq.published.records").tag("topic", "t").register(registry);
        bytes = Counter.builder("gmq.published.bytes").tag("topic", "t").register(registry);
        batches = DistributionSummary.builder("gmq.log.group.commit.batches").register(registry);
        commitBytes = DistributionSummary.builder("gmq.log.group.commit.bytes").register(registry);
        noopRecords = new NoopCounter(new Meter.Id("r", Tags.empty(), null, null, Meter.Type.COUNTER));
        noopBytes = new NoopCounter(new Meter.Id("b", Tags.empty(), null, null, Meter.Type.COUNTER));
    }

    @TearDown
    public void close() {
        registry.close();
    }

    @Benchmark
    public void timedBatch() {
        long start = clock.monotonicTime();
        timer.record(clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
    }

    @Benchmark
    public void partitionWrite() {
        records.increment(100);
        bytes.increment(12_400);
    }

    @Benchmark
    public void groupCommit() {
        batches.record(16);
        commitBytes.record(200_000);
    }

    @Benchmark
    public void partitionWriteWithoutRegistry() {
        noopRecords.increment(100);
        noopBytes.increment(12_400);
    }

    /** Scrape cost, for scale: the text of these meters (an endpoint serves a few hundred lines). */
    @Benchmark
    public String scrape() {
        return registry.scrape();
    }
}
