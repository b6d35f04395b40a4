package io.gmq.internal.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A file layer over another that counts gather writes and forces per file suffix ({@code .log},
 * {@code .index}, {@code .journal}), can hold the writer inside its next segment write until the
 * test lets it go (so appends queued meanwhile form one group commit), and can fail the next writes
 * or forces of files with a given suffix.
 */
final class InstrumentedFileIO implements LogFileIO {
    private final LogFileIO delegate;
    private final Map<String, AtomicInteger> writes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> forces = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> writeFailures = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> forceFailures = new ConcurrentHashMap<>();
    private volatile Gate gate;

    InstrumentedFileIO(LogFileIO delegate) {
        this.delegate = delegate;
    }

    /** Holds the writer inside one segment gather write: the writer's thread waits until {@link #release}. */
    static final class Gate {
        private final CountDownLatch inside = new CountDownLatch(1);
        private final CountDownLatch open = new CountDownLatch(1);

        void awaitInside() throws InterruptedException {
            if (!inside.await(20, TimeUnit.SECONDS)) {
                throw new AssertionError("the writer never reached the held write");
            }
        }

        void release() {
            open.countDown();
        }

        private void hold() {
            inside.countDown();
            try {
                open.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The next gather write of a {@code .log} file waits until the returned gate is released. */
    Gate holdNextLogWrite() {
        Gate g = new Gate();
        gate = g;
        return g;
    }

    int writes(String suffix) {
        return count(writes, suffix);
    }

    int forces(String suffix) {
        return count(forces, suffix);
    }

    /** The next {@code n} writes of files ending with {@code suffix} fail as a full disk does. */
    void failWrites(String suffix, int n) {
        writeFailures.put(suffix, new AtomicInteger(n));
    }

    /** The next {@code n} forces of files ending with {@code suffix} fail as an I/O error does. */
    void failForces(String suffix, int n) {
        forceFailures.put(suffix, new AtomicInteger(n));
    }

    private static int count(Map<String, AtomicInteger> counts, String suffix) {
        AtomicInteger n = counts.get(suffix);
        return n == null ? 0 : n.get();
    }

    private static String suffixOf(Path path) {
        String name = path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot);
    }

    private static boolean takeFailure(Map<String, AtomicInteger> failures, String suffix) {
        AtomicInteger left = failures.get(suffix);
        return left != null && left.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }

    @Override
    public LogFile open(Path path) throws IOException {
        LogFile file = delegate.open(path);
        String suffix = suffixOf(path);
        return new ForwardingLogFile(file) {
            @Override
            public void write(ByteBuffer[] srcs, int offset, int length, long position) throws IOException {
                if (takeFailure(writeFailures, suffix)) {
                    throw new IOException("No space left on device (simulated)");
                }
                Gate g = gate;
                if (g != null && suffix.equals(Segment.LOG_SUFFIX)) {
                    gate = null;
                    g.hold();
                }
                writes.computeIfAbsent(suffix, k -> new AtomicInteger()).incrementAndGet();
                file.write(srcs, offset, length, position);
            }

            @Override
            public void write(ByteBuffer src, long position) throws IOException {
                if (takeFailure(writeFailures, suffix)) {
                    throw new IOException("No space left on device (simulated)");
                }
                writes.computeIfAbsent(suffix, k -> new AtomicInteger()).incrementAndGet();
                file.write(src, position);
            }

            @Override
            public void force() throws IOException {
                if (takeFailure(forceFailures, suffix)) {
                    throw new IOException("Input/output error (simulated)");
                }
                file.force();
                forces.computeIfAbsent(suffix, k -> new AtomicInteger()).incrementAndGet();
            }
        };
    }

    @Override
    public void delete(Path path) throws IOException {
        delegate.delete(path);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        delegate.syncDirectory(dir);
    }
}
