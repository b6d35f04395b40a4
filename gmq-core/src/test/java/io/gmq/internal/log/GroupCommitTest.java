package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.assertHolds;
import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.simpleBatch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.TopicPartition;
import io.gmq.internal.log.LogTestSupport.Rec;
import io.gmq.storage.AppendResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many producers' batches, one write, one fsync: proven by holding the writer inside a write. */
class GroupCommitTest {
    @TempDir
    Path dataDir;

    /** Counts .log writes and forces; the first .log write waits until the test opens the gate. */
    private static final class GatedFileIO implements LogFileIO {
        final CountDownLatch writerInside = new CountDownLatch(1);
        final CountDownLatch gate = new CountDownLatch(1);
        final AtomicInteger logWrites = new AtomicInteger();
        final AtomicInteger logForces = new AtomicInteger();

        @Override
        public LogFile open(Path path) throws IOException {
            LogFile file = LogFileIO.DEFAULT.open(path);
            if (!path.toString().endsWith(Segment.LOG_SUFFIX)) {
                return file;
            }
            return new LogFile() {
                @Override
                public void write(ByteBuffer[] srcs, int offset, int length, long position) throws IOException {
                    if (logWrites.incrementAndGet() == 1) {
                        writerInside.countDown();
                        try {
                            gate.await(20, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    file.write(srcs, offset, length, position);
                }

                @Override
                public void write(ByteBuffer src, long position) throws IOException {
                    logWrites.incrementAndGet();
                    file.write(src, position);
                }

                @Override
                public int read(ByteBuffer dst, long position) throws IOException {
                    return file.read(dst, position);
                }

                @Override
                public void force() throws IOException {
                    logForces.incrementAndGet();
                    file.force();
                }

                @Override
                public void truncate(long size) throws IOException {
                    file.truncate(size);
                }

                @Override
                public long size() throws IOException {
                    return file.size();
                }

                @Override
                public void close() throws IOException {
                    file.close();
                }
            };
        }

        @Override
        public void delete(Path path) throws IOException {
            LogFileIO.DEFAULT.delete(path);
        }

        @Override
        public void syncDirectory(Path dir) throws IOException {
            LogFileIO.DEFAULT.syncDirectory(dir);
        }
    }

    @Test
    void batchesQueuedDuringAWriteShareTheNextWriteAndFsync() throws Exception {
        GatedFileIO io = new GatedFileIO();
        try (LogManager logs = LogManager.open(config(dataDir).build(), io)) {
            PartitionLog log = logs.log(new TopicPartition("group", 0));
            List<Rec> all = new ArrayList<>(simpleBatch(2, 10, 1, 0));
            CompletableFuture<AppendResult> first = log.append(frame(all), true);
            assertTrue(io.writerInside.await(20, TimeUnit.SECONDS), "writer reached the first write");
            List<CompletableFuture<AppendResult>> queued = new ArrayList<>();
            for (int i = 1; i <= 10; i++) {
                List<Rec> batch = simpleBatch(2, 10, 1, i);
                all.addAll(batch);
                queued.add(log.append(frame(batch), true));
            }
            assertFalse(first.isDone(), "not acknowledged before its write and fsync");
            io.gate.countDown();
            first.join();
            queued.forEach(CompletableFuture::join);
            assertEquals(2, io.logWrites.get(), "one write for the first batch, one gather write for the other ten");
            // One fsync per group commit at most: when the syncer's force for the first write starts
            // after the second write ended, it covers both and the second cycle finds nothing to force.
            int forces = io.logForces.get();
            assertTrue(forces == 1 || forces == 2, "at most one fsync per group commit, was " + forces);
            assertHolds(log, 0, all);
        }
    }
}
