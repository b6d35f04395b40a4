package io.gmq.internal.log;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A {@link LogFileIO.LogFile} that passes every call to another; a file layer that changes one call
 * (the fsync timer of {@link LogMetrics}, the fault-injecting layers of the tests) overrides that one.
 */
abstract class ForwardingLogFile implements LogFileIO.LogFile {
    protected final LogFileIO.LogFile file;

    ForwardingLogFile(LogFileIO.LogFile file) {
        this.file = file;
    }

    @Override
    public void write(ByteBuffer[] srcs, int offset, int length, long position) throws IOException {
        file.write(srcs, offset, length, position);
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        file.write(src, position);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return file.read(dst, position);
    }

    @Override
    public void force() throws IOException {
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
}
