package io.gmq.testkit;

import io.gmq.Gmq;
import io.gmq.GmqConfig;
import io.gmq.PublishOption;
import io.gmq.QoS;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.concurrent.Semaphore;

/**
 * A process that publishes QoS 1 messages as fast as it can from several threads and prints one
 * line per acknowledgement: {@code ACK <payload> <partition> <offset>}. Crash tests kill it with
 * SIGKILL and check that every printed acknowledgement survived.
 *
 * <p>Arguments: data directory, run id (prefix of payloads), producer threads.
 */
public final class EmbeddedProducerProcess {
    private EmbeddedProducerProcess() {}

    public static void main(String[] args) throws Exception {
        String run = args[1];
        int threads = Integer.parseInt(args[2]);
        PrintStream out = new PrintStream(
                new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
        Gmq gmq = Gmq.open(GmqConfig.builder().dataDir(Paths.get(args[0])).build());
        gmq.admin().createTopic("crash", 3);
        System.out.println("READY");
        System.out.flush();
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            workers[t] = new Thread(
                    () -> {
                        Semaphore window = new Semaphore(64);
                        for (long i = 0; ; i++) {
                            String payload = run + "-" + id + "-" + i;
                            window.acquireUninterruptibly();
                            gmq.publishAsync(
                                            "crash",
                                            payload.getBytes(StandardCharsets.UTF_8),
                                            PublishOption.qos(QoS.AT_LEAST_ONCE))
                                    .whenComplete((r, e) -> {
                                        if (e == null) {
                                            synchronized (out) {
                                                out.println("ACK " + payload + " " + r.partition() + " " + r.offset());
                                                out.flush();
                                            }
                                        }
                                        window.release();
                                    });
                        }
                    },
                    "producer-" + t);
            workers[t].start();
        }
        for (Thread w : workers) {
            w.join();
        }
    }
}
