package io.gmq.internal.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A file layer whose writes fail like a full disk: {@link #failWriteAfter(long)} fails one chosen
 * write, {@link #diskFull(boolean)} fails every write while set. A failing write first writes part
 * of its bytes (as a real ENOSPC can), then throws {@code IOException("No space left on device")}.
 */
public final class FailingFileIO implements LogFileIO {
    private final LogFileIO real = LogFileIO.DEFAULT;
    private final AtomicLong writes = new AtomicLong();
    private volatile long failingWrite = -1;
    private volatile boolean diskFull;

    /** The {@code n}-th write from now (1 = the next one) fails. */
    public void failWriteAfter(long n) {
        failingWrite = writes.get() + n;
    }

    public void diskFull(boolean full) {
        this.diskFull = full;
    }

    public long writeCount() {
        return writes.get();
    }

    @Override
    public LogFile open(Path path) throws IOException {
        if (diskFull) {
            throw new IOException("No space left on device");
        }
        return new FailingFile(real.open(path));
    }

    @Override
    public void delete(Path path) throws IOException {
        real.delete(path);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        real.syncDirectory(dir);
    }

    private boolean shouldFail() {
        long n = writes.incrementAndGet();
        return diskFull || n == failingWrite;
    }

    private final class FailingFile extends ForwardingLogFile {
        FailingFile(LogFile file) {
            super(file);
        }

        @Override
        public void write(ByteBuffer[] srcs, int offset, int length, long position) throws IOException {
            if (shouldFail()) {
                writePartOf(srcs[offset], position);
                throw new IOException("No space left on device");
            }
            file.write(srcs, offset, length, position);
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            if (shouldFail()) {
                writePartOf(src, position);
                throw new IOException("No space left on device");
            }
            file.write(src, position);
        }

        private void writePartOf(ByteBuffer src, long position) throws IOException {
            ByteBuffer half = src.duplicate();
            half.limit(half.position() + half.remaining() / 2);
            file.write(half, position);
        }
    }
}
