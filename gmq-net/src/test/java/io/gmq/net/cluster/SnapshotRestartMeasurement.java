package io.gmq.net.cluster;

import static io.gmq.net.cluster.InProcessNodes.P0;
import static io.gmq.net.cluster.InProcessNodes.await;

import io.gmq.net.testing.FreePorts;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restart time of a storage node holding 200,000 records, with and without snapshots (not part
 * of the build: run it with {@code mvn -pl gmq-net test -Dtest=SnapshotRestartMeasurement}).
 * A one-node cluster in this JVM, 100-byte records in batches of 10 with 16 appends in flight
 * ({@code -Dgmq.measure.records}, {@code .batch}, {@code .inflight} change them; fewer records per
 * append and fewer in flight make more Raft entries for the same records);
 * the node is stopped and started again, and the time from the start to its replica holding every
 * record again is printed, with the Raft log's size on disk and its first and last index.
 *
 * <ul>
 *   <li>{@code without snapshots}: auto and stop snapshots off, so the restart applies the whole
 *       Raft log (what every restart did before snapshots);
 *   <li>{@code snapshot at stop}: the defaults; a clean stop takes a snapshot;
 *   <li>{@code crash-like}: the defaults but no snapshot at stop, so the restart restores the last
 *       automatic snapshot and applies the entries after it.
 * </ul>
 */
class SnapshotRestartMeasurement {
    private static final int RECORDS = Integer.getInteger("gmq.measure.records", 200_000);
    private static final int PER_BATCH = Integer.getInteger("gmq.measure.batch", 10);
    private static final int IN_FLIGHT = Integer.getInteger("gmq.measure.inflight", 16);

    @TempDir
    Path dir;

    @Test
    void restartTimes() throws Exception {
        measure("without snapshots", new String[] {
            "gmq.raft.server.snapshot.auto.trigger.enabled", "false",
            "gmq.raft.server.snapshot.trigger-when-stop.enabled", "false"
        });
        measure("snapshot at stop", new String[0]);
        measure("crash-like", new String[] {"gmq.raft.server.snapshot.trigger-when-stop.enabled", "false"});
    }

    private void measure(String name, String[] raftProperties) throws Exception {
        for (int i = 0; i < raftProperties.length; i += 2) {
            System.setProperty(raftProperties[i], raftProperties[i + 1]);
        }
        Path data = dir.resolve(name.replace(' ', '-'));
        String peers = "1=127.0.0.1:" + FreePorts.pick();
        try (InProcessNodes cluster = new InProcessNodes(data)) {
            cluster.start("1", peers, false);
            await("a leader", () -> cluster.leaderId().equals("1"));
            Storage s = cluster.client("1");
            s.createTopic("orders", 1);
            long writeStart = System.nanoTime();
            List<CompletableFuture<?>> inFlight = new ArrayList<>();
            for (int b = 0; b < RECORDS / PER_BATCH; b++) {
                inFlight.add(s.append(P0, batch(b), true));
                if (inFlight.size() == IN_FLIGHT) {
                    inFlight.remove(0).join();
                }
            }
            inFlight.forEach(CompletableFuture::join);
            long writeMillis = (System.nanoTime() - writeStart) / 1_000_000;
            cluster.nodes.remove("1").close();
            String log = raftLog(data);

            long start = System.nanoTime();
            cluster.start("1", peers, false);
            await("the restarted node to hold every record", () -> cluster.replicaEnd("1") == RECORDS);
            long restartMillis = (System.nanoTime() - start) / 1_000_000;
            System.out.printf(
                    "RESTART %-18s records=%d write=%d ms restart=%d ms raftLogAtStop=[%s]%n",
                    name, RECORDS, writeMillis, restartMillis, log);
        } finally {
            for (int i = 0; i < raftProperties.length; i += 2) {
                System.clearProperty(raftProperties[i]);
            }
        }
    }

    private static ByteBuffer batch(int b) {
        BatchBuilder builder = new BatchBuilder(PER_BATCH * 128);
        byte[] value = new byte[100];
        for (int i = 0; i < PER_BATCH; i++) {
            value[0] = (byte) i;
            value[1] = (byte) b;
            builder.add(1_000L + b, null, value, List.of());
        }
        return builder.buildCopy();
    }

    /** The Raft log's segment files: their count, total bytes and the index range they cover. */
    private static String raftLog(Path data) throws IOException {
        long bytes = 0;
        int files = 0;
        long first = Long.MAX_VALUE;
        long last = -1;
        try (Stream<Path> all = Files.walk(data.resolve("node1/raft"))) {
            for (Path f : all.filter(p -> p.getFileName().toString().startsWith("log_"))
                    .toList()) {
                files++;
                bytes += Files.size(f);
                String n = f.getFileName()
                        .toString()
                        .replace("log_inprogress_", "")
                        .replace("log_", "");
                first = Math.min(first, Long.parseLong(n.contains("-") ? n.substring(0, n.indexOf('-')) : n));
                last = Math.max(last, Long.parseLong(n.contains("-") ? n.substring(n.indexOf('-') + 1) : n));
            }
        }
        return files + " segments, " + bytes / 1024 + " KiB";
    }
}
