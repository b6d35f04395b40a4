package io.gmq.bench;

import io.gmq.Gmq;
import io.gmq.GmqConfig;
import io.gmq.PublishOption;
import io.gmq.QoS;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a fresh JVM spends on its first {@code Gmq.open} (what {@code GmqExtension} does before a
 * test), on a new, empty data directory: the JVM's own start to {@code main}, then the open, the
 * first QoS 1 publish, and the close, each on its own.
 *
 * <pre>
 * java -cp gmq-bench/target/benchmarks.jar io.gmq.bench.ColdOpen [DIR]
 * </pre>
 *
 * Prints one line: {@code jvm-to-main-ms open-ms first-publish-ms close-ms}. Run it several times
 * (each a new JVM) and take the median; a JVM that is started once cannot measure its own first time
 * twice.
 */
public final class ColdOpen {
    private ColdOpen() {}

    public static void main(String[] args) throws Exception {
        long mainNanos = System.nanoTime();
        long jvmToMain = System.currentTimeMillis()
                - ManagementFactory.getRuntimeMXBean().getStartTime();
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("gmq-cold-open");
        long t0 = System.nanoTime();
        Gmq gmq = Gmq.open(GmqConfig.builder().dataDir(dir).build());
        long t1 = System.nanoTime();
        gmq.publish("cold", "first".getBytes(StandardCharsets.UTF_8), PublishOption.qos(QoS.AT_LEAST_ONCE));
        long t2 = System.nanoTime();
        gmq.close();
        long t3 = System.nanoTime();
        System.out.printf(
                "jvm-to-main %d ms, open %.1f ms, first publish %.1f ms, close %.1f ms (main to open %.1f ms)%n",
                jvmToMain, ms(t1 - t0), ms(t2 - t1), ms(t3 - t2), ms(t0 - mainNanos));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
