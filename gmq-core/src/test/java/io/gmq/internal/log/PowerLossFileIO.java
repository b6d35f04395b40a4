package io.gmq.internal.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A file layer that simulates losing power with the OS page cache: it remembers, per file, the
 * content as of the last {@code force()}, and {@link #cutPower()} puts every file back to exactly
 * that (a file never forced since its creation comes back empty), as if every byte written since
 * had stayed in the lost cache. Handles opened before the cut fail from then on ("power is off"),
 * so the old engine dies; the test then opens a new one on the same files through this layer.
 *
 * <p>Deletions and directory changes are treated as durable at once (the simulation is about data,
 * not directory metadata).
 *
 * <p>Made with a {@link Random} and a survival probability, the cut is less tidy, as with a real
 * page cache that writes back in any order: each {@link #PAGE}-aligned piece of every write since
 * the last force independently reached the disk or not, so a file can come back with holes (zeros
 * or older bytes) before bytes that did survive.
 */
public final class PowerLossFileIO implements LogFileIO {
    /** The unit of write-back in the partial-survival mode. */
    static final int PAGE = 4096;

    private final LogFileIO real = LogFileIO.DEFAULT;
    private final Random random;
    private final double survival;
    private final ReadWriteLock power = new ReentrantReadWriteLock();
    private final Map<Path, Durable> durable = new HashMap<>();
    private int generation;
    private final java.util.concurrent.atomic.AtomicLong forces = new java.util.concurrent.atomic.AtomicLong();

    private final Map<String, java.util.concurrent.atomic.AtomicLong> forcesBySuffix = new ConcurrentHashMap<>();

    /** Every byte written since a file's last force is lost with the power. */
    public PowerLossFileIO() {
        this(null, 0);
    }

    /** Each page of each unforced write survives a power cut with probability {@code survival}. */
    public PowerLossFileIO(Random random, double survival) {
        this.random = random;
        this.survival = survival;
    }

    /** Completed force() calls so far (tests wait on it to know a timer-driven flush happened). */
    public long forceCount() {
        return forces.get();
    }

    /** Completed force() calls of files whose name ends with {@code suffix} (".log", ".index"). */
    public long forceCount(String suffix) {
        java.util.concurrent.atomic.AtomicLong n = forcesBySuffix.get(suffix);
        return n == null ? 0 : n.get();
    }

    /** The content of one file as of its last force. */
    private static final class Durable {
        byte[] bytes;
        int length;
        long dirtyFrom = Long.MAX_VALUE;
        long dirtyTo = -1;
        /** Writes since the last force, as (position, bytes), in the partial-survival mode only. */
        final List<Map.Entry<Long, byte[]>> unforced = new ArrayList<>();

        Durable(byte[] content) {
            bytes = content;
            length = content.length;
        }
    }

    /** Puts every file back to its last forced content and kills all open handles. */
    public void cutPower() throws IOException {
        power.writeLock().lock();
        try {
            generation++;
            for (Map.Entry<Path, Durable> e : durable.entrySet()) {
                Path path = e.getKey();
                if (!Files.exists(path)) {
                    continue;
                }
                Durable d = e.getValue();
                byte[] onDisk = random == null ? Arrays.copyOf(d.bytes, d.length) : partlyWrittenBack(d);
                Files.write(path, onDisk);
                d.bytes = onDisk; // what survived is on the disk now: a second cut keeps it
                d.length = onDisk.length;
                d.dirtyFrom = Long.MAX_VALUE;
                d.dirtyTo = -1;
                d.unforced.clear();
            }
        } finally {
            power.writeLock().unlock();
        }
    }

    /** The durable content plus, page by page, the unforced writes that happen to survive. */
    private byte[] partlyWrittenBack(Durable d) {
        byte[] out = Arrays.copyOf(d.bytes, d.length);
        for (Map.Entry<Long, byte[]> w : d.unforced) {
            long position = w.getKey();
            byte[] bytes = w.getValue();
            int i = 0;
            while (i < bytes.length) {
                long at = position + i;
                int piece = (int) Math.min(bytes.length - i, PAGE - (at % PAGE));
                if (random.nextDouble() < survival) {
                    if (at + piece > out.length) {
                        out = Arrays.copyOf(out, (int) (at + piece));
                    }
                    System.arraycopy(bytes, i, out, (int) at, piece);
                }
                i += piece;
            }
        }
        return out;
    }

    @Override
    public LogFile open(Path path) throws IOException {
        power.writeLock().lock();
        try {
            Durable d = durable.get(path);
            if (d == null) {
                // A file that exists before the simulation saw it counts as durable as it is.
                d = new Durable(Files.exists(path) ? Files.readAllBytes(path) : new byte[0]);
                durable.put(path, d);
            }
            return new SimFile(path, real.open(path), d, generation);
        } finally {
            power.writeLock().unlock();
        }
    }

    @Override
    public void delete(Path path) throws IOException {
        power.writeLock().lock();
        try {
            real.delete(path);
            durable.remove(path);
        } finally {
            power.writeLock().unlock();
        }
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        real.syncDirectory(dir);
    }

    private final class SimFile implements LogFile {
        private final Path path;
        private final LogFile file;
        private final Durable durableState;
        private final int openedIn;

        SimFile(Path path, LogFile file, Durable durableState, int openedIn) {
            this.path = path;
            this.file = file;
            this.durableState = durableState;
            this.openedIn = openedIn;
        }

        private void lockAlive() throws IOException {
            power.readLock().lock();
            if (openedIn != generation) {
                power.readLock().unlock();
                throw new IOException("power is off (simulated): " + path);
            }
        }

        private void markDirty(long from, long to, byte[] bytes) {
            synchronized (durableState) {
                durableState.dirtyFrom = Math.min(durableState.dirtyFrom, from);
                durableState.dirtyTo = Math.max(durableState.dirtyTo, to);
                if (bytes != null) {
                    durableState.unforced.add(Map.entry(from, bytes));
                }
            }
        }

        /** The bytes about to be written, in the partial-survival mode; else null. */
        private byte[] copyOf(ByteBuffer[] srcs, int offset, int length, long bytes) {
            if (random == null) {
                return null;
            }
            ByteBuffer copy = ByteBuffer.allocate((int) bytes);
            for (int i = offset; i < offset + length; i++) {
                copy.put(srcs[i].duplicate());
            }
            return copy.array();
        }

        @Override
        public void write(ByteBuffer[] srcs, int offset, int length, long position) throws IOException {
            lockAlive();
            try {
                long bytes = 0;
                for (int i = offset; i < offset + length; i++) {
                    bytes += srcs[i].remaining();
                }
                byte[] copy = copyOf(srcs, offset, length, bytes);
                file.write(srcs, offset, length, position);
                // Marked after the write: a force racing with it either copies these bytes or
                // leaves them dirty for the next force, never records them as durable unwritten.
                markDirty(position, position + bytes, copy);
            } finally {
                power.readLock().unlock();
            }
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            lockAlive();
            try {
                long end = position + src.remaining();
                byte[] copy = copyOf(new ByteBuffer[] {src}, 0, 1, src.remaining());
                file.write(src, position);
                markDirty(position, end, copy);
            } finally {
                power.readLock().unlock();
            }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            lockAlive();
            try {
                return file.read(dst, position);
            } finally {
                power.readLock().unlock();
            }
        }

        @Override
        public void force() throws IOException {
            lockAlive();
            try {
                file.force();
                synchronized (durableState) {
                    long size = file.size();
                    if (size > durableState.bytes.length) {
                        durableState.bytes =
                                Arrays.copyOf(durableState.bytes, (int) Math.max(size, durableState.bytes.length * 2L));
                    }
                    long from = Math.min(durableState.dirtyFrom, size);
                    long to = Math.min(durableState.dirtyTo, size);
                    if (to > from) {
                        ByteBuffer dst = ByteBuffer.wrap(durableState.bytes, (int) from, (int) (to - from));
                        file.read(dst, from);
                    }
                    durableState.length = (int) size;
                    durableState.dirtyFrom = Long.MAX_VALUE;
                    durableState.dirtyTo = -1;
                    durableState.unforced.clear();
                }
                forces.incrementAndGet();
                String name = path.getFileName().toString();
                int dot = name.lastIndexOf('.');
                forcesBySuffix
                        .computeIfAbsent(
                                dot < 0 ? "" : name.substring(dot), k -> new java.util.concurrent.atomic.AtomicLong())
                        .incrementAndGet();
            } finally {
                power.readLock().unlock();
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            lockAlive();
            try {
                file.truncate(size);
            } finally {
                power.readLock().unlock();
            }
        }

        @Override
        public long size() throws IOException {
            lockAlive();
            try {
                return file.size();
            } finally {
                power.readLock().unlock();
            }
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }
}
