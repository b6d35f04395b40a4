package io.gmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.testkit.EmbeddedProducerProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL of a process that publishes with QoS 1 from several threads, at random moments, again
 * and again on the same data directory: after each kill the engine reopens and every message whose
 * acknowledgement the process printed is there, at the offset it was acknowledged with.
 */
class KillNineTest {
    static final int KILLS = 6;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedMessageSurvivesKillNine() throws Exception {
        Random random = new Random();
        Map<String, long[]> acked = new ConcurrentHashMap<>();
        for (int k = 0; k < KILLS; k++) {
            Process p = start(dir, "run" + k);
            try {
                BufferedReader out =
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                String first = out.readLine();
                assertEquals("READY", first, "producer process did not start");
                Thread reader = new Thread(() -> readAcks(out, acked), "ack-reader");
                reader.start();
                int before = acked.size();
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                int target = before + 500 + random.nextInt(3000);
                while (acked.size() < target && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                p.destroyForcibly();
                assertTrue(p.waitFor(10, TimeUnit.SECONDS));
                reader.join(10_000);
                assertTrue(acked.size() > before, "no acknowledgement in run " + k);
            } finally {
                p.destroyForcibly();
            }
            verify(acked);
        }
    }

    private static void readAcks(BufferedReader out, Map<String, long[]> acked) {
        try {
            String line;
            while ((line = out.readLine()) != null) {
                String[] f = line.split(" ");
                // Only complete lines count: a line cut by the kill has fewer fields.
                if (f.length == 4 && f[0].equals("ACK")) {
                    acked.put(f[1], new long[] {Long.parseLong(f[2]), Long.parseLong(f[3])});
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // the process died mid-line
        }
    }

    private static Process start(Path dir, String run) throws IOException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(
                java,
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                EmbeddedProducerProcess.class.getName(),
                dir.toString(),
                run,
                "4"));
        return new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    /** Reopens the engine and checks that every acknowledged payload is at its acknowledged offset. */
    private void verify(Map<String, long[]> acked) {
        Map<Long, String> stored = new HashMap<>();
        try (Gmq gmq = Gmq.open(GmqConfig.builder().dataDir(dir).build())) {
            for (int partition = 0; partition < 3; partition++) {
                PartitionReader reader = gmq.reader(new TopicPartition("crash", partition), OffsetSpec.earliest());
                List<ConsumeMessage> batch;
                while (!(batch = reader.poll(10_000, Duration.ZERO)).isEmpty()) {
                    for (ConsumeMessage m : batch) {
                        stored.put(key(m.partition(), m.offset()), m.payloadAsString());
                    }
                }
            }
        }
        int missing = 0;
        StringBuilder examples = new StringBuilder();
        for (Map.Entry<String, long[]> e : acked.entrySet()) {
            String at = stored.get(key((int) e.getValue()[0], e.getValue()[1]));
            if (!e.getKey().equals(at)) {
                if (missing++ < 5) {
                    examples.append(e.getKey())
                            .append(" acknowledged at ")
                            .append(e.getValue()[0])
                            .append('@')
                            .append(e.getValue()[1])
                            .append(" but found ")
                            .append(at)
                            .append("; ");
                }
            }
        }
        assertEquals(0, missing, missing + " of " + acked.size() + " acknowledged messages lost: " + examples);
    }

    private static long key(int partition, long offset) {
        return offset * 16 + partition;
    }
}
