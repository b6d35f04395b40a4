package io.gmq.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.GroupDescription;
import io.gmq.TopicPartition;
import io.gmq.storage.*;
import io.gmq.testkit.GroupChurnProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL of a process in the middle of SQLite group transactions (join, heartbeat, commit, leave),
 * at random moments, again and again on one data directory. After each kill the state reopens and
 * is one that existed around the last acknowledged transaction:
 *
 * <ul>
 *   <li>every partition has the same committed value (one commit transaction writes them all: never torn);
 *   <li>that value is the last acknowledged commit, or the one in flight at the kill (done but not yet
 *       acknowledged), never below the last acknowledged one;
 *   <li>the group has at most one member (the process never has two) and {@code PRAGMA integrity_check} is ok.
 * </ul>
 *
 * Some kills are followed by deleting {@code gmq.db-wal}, which throws away committed transactions
 * not yet checkpointed: the state may then go back, but must still open, pass the integrity check
 * and be untorn.
 */
class GroupStateKillNineTest {
    static final int KILLS = 6;

    @TempDir
    Path dir;

    @Test
    void groupStateIsAnAcknowledgedStateAfterEveryKillNine() throws Exception {
        Random random = new Random();
        long lastAcked = 0;
        for (int k = 0; k < KILLS; k++) {
            AtomicLong acked = new AtomicLong(-1);
            long startValue;
            Process p = start(dir);
            try {
                BufferedReader out =
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                String first = out.readLine();
                assertTrue(first != null && first.startsWith("READY "), "churn process did not start: " + first);
                startValue = Long.parseLong(first.substring(6));
                Thread reader = new Thread(() -> readCommits(out, acked), "commit-reader");
                reader.start();
                long target = startValue + 20 + random.nextInt(400);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (acked.get() < target && System.nanoTime() < deadline && p.isAlive()) {
                    Thread.onSpinWait();
                }
                p.destroyForcibly();
                assertTrue(p.waitFor(10, TimeUnit.SECONDS));
                reader.join(10_000);
            } finally {
                p.destroyForcibly();
            }
            assertTrue(acked.get() > startValue, "no commit acknowledged in run " + k);
            assertTrue(
                    startValue >= lastAcked,
                    "run " + k + " started from " + startValue + " below the last acknowledged commit " + lastAcked);
            lastAcked = acked.get();

            boolean dropWal = k == 2 || k == 4;
            Path wal = dir.resolve("gmq.db-wal");
            long walBytes = Files.exists(wal) ? Files.size(wal) : -1;
            if (dropWal) {
                Files.deleteIfExists(wal);
            }
            assertIntegrityOk();
            long committed = committedValue();
            System.out.printf(
                    "GroupStateKillNineTest: run %d acknowledged %d, reopened at %d (WAL %d bytes%s)%n",
                    k, lastAcked, committed, walBytes, dropWal ? ", deleted" : "");
            if (dropWal) {
                assertTrue(
                        committed <= lastAcked + 1, "after dropping the WAL: " + committed + " > " + (lastAcked + 1));
                lastAcked = committed;
            } else {
                assertTrue(
                        committed == lastAcked || committed == lastAcked + 1,
                        "committed " + committed + " but last acknowledged commit was " + lastAcked);
                lastAcked = committed;
            }
        }
    }

    private static void readCommits(BufferedReader out, AtomicLong acked) {
        try {
            String line;
            while ((line = out.readLine()) != null) {
                String[] f = line.split(" ");
                // A line cut by the kill is not an acknowledgement.
                if (f.length == 2 && f[0].equals("COMMIT") && !f[1].isEmpty()) {
                    acked.set(Long.parseLong(f[1]));
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // the process died mid-line
        }
    }

    private static Process start(Path dir) throws IOException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(
                java,
                "-Xmx128m",
                "-cp",
                System.getProperty("java.class.path"),
                GroupChurnProcess.class.getName(),
                dir.toString()));
        return new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    /** The one committed value all partitions share; fails if a commit was torn or membership is impossible. */
    private long committedValue() {
        try (LocalStorage storage = LocalStorage.open(GroupChurnProcess.config(dir))) {
            Map<TopicPartition, Long> committed =
                    storage.committedOffsets(GroupChurnProcess.GROUP, GroupChurnProcess.partitions());
            if (committed.isEmpty()) {
                return 0;
            }
            assertEquals(GroupChurnProcess.PARTITIONS, committed.size(), "torn commit: " + committed);
            assertEquals(1, new HashSet<>(committed.values()).size(), "torn commit: " + committed);
            GroupDescription d = storage.describeGroup(GroupChurnProcess.GROUP);
            assertTrue(d.members().size() <= 1, "the process never had two members: " + d.members());
            return committed.values().iterator().next();
        }
    }

    private void assertIntegrityOk() throws Exception {
        try (Connection c = DriverManager.getConnection(
                        "jdbc:sqlite:" + dir.resolve("gmq.db").toAbsolutePath());
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("PRAGMA integrity_check")) {
            assertTrue(r.next());
            assertEquals("ok", r.getString(1));
        }
    }
}
