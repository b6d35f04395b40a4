package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gmq.client.GmqClient;
import io.gmq.testkit.QueueChecker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 10,000 concurrent idle connections against a standalone server process (the scenario):
 * the connection limits refuse cleanly beyond them, the server's descriptors and heap stay
 * bounded, an active client keeps publishing and consuming correctly next to them, and the idle
 * timeout reaps them all.
 *
 * <p>The idle connections come from 127.0.0.2, so {@code --max-connections-per-ip} (10,000) is
 * the limit they hit; the active clients come from 127.0.0.1 and live in the small head room of
 * {@code --max-connections} (10,000 + {@link #HEAD_ROOM}), which a few connections from 127.0.0.3
 * then fill to show the total limit refusing too. Reaping takes the idle timeout plus grpc's 10 s
 * wait for the answer to its GOAWAY ping (these raw clients never answer).
 *
 * <p>Figures (descriptors, live heap, publish latency) are printed and recorded in
 * docs/PERFORMANCE-NETWORK.md; nothing here asserts on time.
 */
final class IdleConnectionsIT extends ClusterTest {
    private static final int IDLE = Integer.getInteger("gmq.it.idleConnections", 10_000);
    private static final int IDLE_SECONDS = Integer.getInteger("gmq.it.idleSeconds", 20);
    private static final int HEAD_ROOM = 16;
    private static final int REFUSALS = 1_000;
    private static final int PUBLISHES = 1_000;
    /** Descriptors the test JVM and the server need besides the idle connections. */
    private static final int FD_MARGIN = 2_000;
    /** Measured about 6 KiB (grpc-netty's transport and HTTP/2 state); the bound leaves room for versions. */
    private static final long MAX_LIVE_BYTES_PER_IDLE_CONNECTION = 32 * 1024;

    private static final String TOPIC = "idle-load";
    private static final Pattern HELD_BACK = Pattern.compile("(\\d+) more");

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void tenThousandIdleConnectionsAreHeldBoundedRefusedBeyondTheLimitAndReaped() throws Exception {
        assumeTrue(ProcessFacts.procAvailable(), "needs /proc to count the server's descriptors");
        long ownLimit = ((com.sun.management.UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getMaxFileDescriptorCount();
        assumeTrue(
                ownLimit >= IDLE + FD_MARGIN,
                "the test JVM may open " + ownLimit + " files, needs " + (IDLE + FD_MARGIN) + ": raise ulimit -n");

        Launch server = cluster.own(Launch.start(
                "server",
                cluster.logs,
                List.of("-XX:+ExitOnOutOfMemoryError"),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--data-dir",
                dir.resolve("data").toString(),
                "--flush",
                "os",
                "--max-connections",
                Integer.toString(IDLE + HEAD_ROOM),
                "--max-connections-per-ip",
                Integer.toString(IDLE),
                "--max-connection-idle",
                Integer.toString(IDLE_SECONDS)));
        assertTrue(server.process() != null, "server started: " + server.output());
        long pid = server.process().pid();
        long serverLimit = ProcessFacts.maxOpenFiles(pid);
        assumeTrue(
                serverLimit >= IDLE + FD_MARGIN,
                "the server may open " + serverLimit + " files, needs " + (IDLE + FD_MARGIN) + ": raise ulimit -n");

        // Active clients (from 127.0.0.1): a member consuming everything, and a producer without linger.
        GmqClient admin = cluster.client(Cluster.config(server.address(), Duration.ofSeconds(20)));
        admin.createTopic(TOPIC, 3);
        Recorder rec = new Recorder();
        cluster.member(server.address(), "idle-load-group", "consumer", rec).subscribe(TOPIC);
        GmqClient producer = cluster.client(
                Cluster.config(server.address(), Duration.ofSeconds(20)).linger(Duration.ZERO));
        publishTimed(producer, rec, "warm-up"); // JIT and connection warm-up, not measured
        long[] baseline = publishTimed(producer, rec, "before");
        rec.awaitAllAcknowledgedConsumed(60);
        long fdsBefore = ProcessFacts.openDescriptors(pid);
        ProcessFacts.Heap heapBefore = ProcessFacts.heap(pid);
        long rssBefore = ProcessFacts.residentKib(pid);

        InetSocketAddress target = new InetSocketAddress("127.0.0.1", server.port());
        IdleHttp2Clients idle = cluster.own(new IdleHttp2Clients(InetAddress.getByName("127.0.0.2"), target));
        long openStart = System.nanoTime();
        idle.connect(IDLE);
        long openMillis = IdleHttp2Clients.millisSince(openStart);
        assertTrue(IdleHttp2Clients.awaitSettingsAck(idle.get(0), 10_000), "the first idle connection is HTTP/2");
        assertTrue(IdleHttp2Clients.awaitSettingsAck(idle.get(IDLE - 1), 10_000), "the last idle connection is HTTP/2");
        Recorder.await(
                "the server holds all " + IDLE + " idle connections",
                30,
                () -> ProcessFacts.openDescriptors(pid) >= fdsBefore + IDLE);

        // Per-address limit: connection 10,001 from 127.0.0.2 and 1,000 more are closed at accept.
        long refuseStart = System.nanoTime();
        IdleHttp2Clients extra = cluster.own(new IdleHttp2Clients(InetAddress.getByName("127.0.0.2"), target));
        assertTrue(
                IdleHttp2Clients.endsWithoutAByte(extra.connect(), 10_000),
                "connection " + (IDLE + 1) + " from one address is closed without a byte");
        long firstRefusalMillis = IdleHttp2Clients.millisSince(refuseStart);
        extra.closeLast();
        for (int i = 0; i < REFUSALS; i++) {
            assertTrue(IdleHttp2Clients.endsWithoutAByte(extra.connect(), 10_000), "refusal " + i);
            extra.closeLast();
        }
        // Total limit: 127.0.0.3 gets what the active clients left of the head room, then no more.
        IdleHttp2Clients third = cluster.own(new IdleHttp2Clients(InetAddress.getByName("127.0.0.3"), target));
        int admittedFromThird = 0;
        while (!IdleHttp2Clients.endsWithoutAByte(third.connect(), 2_000)) {
            admittedFromThird++;
            assertTrue(admittedFromThird < HEAD_ROOM, "the total limit refused nothing");
        }
        long refuseMillis = IdleHttp2Clients.millisSince(refuseStart);
        long fdsAfterRefusals = ProcessFacts.openDescriptors(pid);
        third.close();
        int refusals = REFUSALS + 2;
        Recorder.await(
                "the audit log accounts for all " + refusals + " refusals (held-back ones in summary lines)",
                10,
                () -> auditedRefusals(server) == refusals);

        // The active client during the idle load.
        long activeStart = System.nanoTime();
        long[] loaded = publishTimed(producer, rec, "during");
        rec.awaitAllAcknowledgedConsumed(60);
        long activeMillis = IdleHttp2Clients.millisSince(activeStart);
        long fdsLoaded = ProcessFacts.openDescriptors(pid);
        ProcessFacts.Heap heapLoaded = ProcessFacts.heap(pid);
        long rssLoaded = ProcessFacts.residentKib(pid);
        long loadedPhaseMillis = IdleHttp2Clients.millisSince(openStart);
        assertTrue(
                fdsLoaded >= fdsBefore + IDLE,
                "the idle connections were still open through the active phase (" + fdsLoaded + " fds after "
                        + loadedPhaseMillis + " ms; a slow machine may need -Dgmq.it.idleSeconds=40)");

        // Reaping: the server closes every idle connection after the idle timeout.
        long reapStart = System.nanoTime();
        long reapDeadline = openStart + TimeUnit.SECONDS.toNanos(IDLE_SECONDS + 10 + 30);
        int reaped = idle.awaitAllClosedByServer(reapDeadline, () -> {});
        long reapMillis = IdleHttp2Clients.millisSince(openStart);
        Recorder.await(
                "the server's descriptors return to their level before the idle load",
                Math.max(1, TimeUnit.NANOSECONDS.toSeconds(reapDeadline - System.nanoTime())),
                () -> ProcessFacts.openDescriptors(pid) <= fdsBefore + HEAD_ROOM);
        long fdsAfter = ProcessFacts.openDescriptors(pid);
        ProcessFacts.Heap heapAfter = ProcessFacts.heap(pid);
        long rssAfter = ProcessFacts.residentKib(pid);
        long[] after = publishTimed(producer, rec, "after");
        rec.awaitAllAcknowledgedConsumed(60);

        long auditLines = auditLines(server).size();
        System.out.printf(
                "IdleConnectionsIT: %d idle connections opened in %d ms; refusal of connection %d after %d ms;"
                        + " %d refusals (per address, then 1 by the total limit after %d admitted) in %d ms,"
                        + " %d audit lines%n",
                IDLE, openMillis, IDLE + 1, firstRefusalMillis, refusals, admittedFromThird, refuseMillis, auditLines);
        System.out.printf(
                "IdleConnectionsIT: server fds %d before, %d after %d refusals, %d with %d idle in the active phase,"
                        + " %d after reaping (%d of %d closed by the server %d ms after the first opened;"
                        + " reap wait %d ms)%n",
                fdsBefore,
                fdsAfterRefusals,
                REFUSALS + 2,
                fdsLoaded,
                IDLE,
                fdsAfter,
                reaped,
                IDLE,
                reapMillis,
                IdleHttp2Clients.millisSince(reapStart));
        System.out.printf(
                "IdleConnectionsIT: live heap %s before, %s with %d idle (%d grpc server transports), %s after;"
                        + " RSS %d / %d / %d MiB%n",
                heapBefore.mib(),
                heapLoaded.mib(),
                IDLE,
                heapLoaded.serverTransports(),
                heapAfter.mib(),
                rssBefore / 1024,
                rssLoaded / 1024,
                rssAfter / 1024);
        System.out.printf(
                "IdleConnectionsIT: publish latency (QoS 1, no linger, flush os) p50/p99/max ms: before %s,"
                        + " during idle load %s, after reaping %s; active phase %d ms; %s%n",
                percentiles(baseline), percentiles(loaded), percentiles(after), activeMillis, rec.summary());

        assertEquals(IDLE, reaped, "every idle connection was closed by the server");
        assertTrue(
                fdsAfterRefusals <= fdsBefore + IDLE + HEAD_ROOM,
                "refused connections leave no descriptor behind: " + fdsAfterRefusals);
        assertTrue(auditLines < refusals / 10, "rejections are audited at a limited rate: " + auditLines);
        if (heapLoaded.liveBytes() >= 0) {
            assertTrue(heapLoaded.serverTransports() >= IDLE, "each idle connection is a gRPC transport");
            long perConnection = (heapLoaded.liveBytes() - heapBefore.liveBytes()) / IDLE;
            assertTrue(
                    perConnection < MAX_LIVE_BYTES_PER_IDLE_CONNECTION,
                    "an idle connection holds " + perConnection + " live heap bytes");
            assertTrue(heapAfter.serverTransports() < HEAD_ROOM, "reaped transports are collected");
        }
        assertTrue(server.process().isAlive(), "the server survived: " + server.output());
        QueueChecker.check(rec.history()).assertValid();
    }

    private static List<String> auditLines(Launch server) throws IOException {
        return Files.readAllLines(server.stderr()).stream()
                .filter(l -> l.contains("connection rejected"))
                .toList();
    }

    /** Refusals the audit lines account for: one per line naming a remote, plus the held-back counts. */
    private static long auditedRefusals(Launch server) {
        try {
            long n = 0;
            for (String line : auditLines(server)) {
                n += line.contains("remote=") ? 1 : 0;
                Matcher m = HELD_BACK.matcher(line);
                n += m.find() ? Long.parseLong(m.group(1)) : 0;
            }
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@link #PUBLISHES} synchronous QoS 1 publishes, each acknowledged; their latencies in nanoseconds. */
    private static long[] publishTimed(GmqClient producer, Recorder rec, String phase) {
        long[] nanos = new long[PUBLISHES];
        for (int i = 0; i < PUBLISHES; i++) {
            long t0 = System.nanoTime();
            assertTrue(rec.publish(producer, "producer", TOPIC, phase + "-" + i), phase + " publish " + i);
            nanos[i] = System.nanoTime() - t0;
        }
        Arrays.sort(nanos);
        return nanos;
    }

    private static String percentiles(long[] sortedNanos) {
        return String.format(
                "%.2f/%.2f/%.2f",
                sortedNanos[sortedNanos.length / 2] / 1e6,
                sortedNanos[(int) (sortedNanos.length * 0.99)] / 1e6,
                sortedNanos[sortedNanos.length - 1] / 1e6);
    }
}
