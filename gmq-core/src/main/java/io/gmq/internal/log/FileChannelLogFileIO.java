package io.gmq.internal.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@link LogFileIO} over {@link FileChannel}. FileChannel has no positional gather write, so
 * {@link LogFile#write(ByteBuffer[], int, int, long)} sets the channel position first: safe because
 * only one thread writes a file at a time, and concurrent positional reads ignore the position.
 */
final class FileChannelLogFileIO implements LogFileIO {

    @Override
    public LogFile open(Path path) throws IOException {
        FileChannel channel =
                FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new ChannelFile(channel);
    }

    @Override
    public void delete(Path path) throws IOException {
        Files.deleteIfExists(path);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        // Linux allows fsync on a directory opened read-only; other systems may refuse, and there
        // the metadata is as durable as the platform makes it.
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            if (Files.isDirectory(dir) && System.getProperty("os.name", "").startsWith("Windows")) {
                return;
            }
            throw e;
        }
    }

    /** Reads until {@code dst} is full or the file ends; the bytes read. */
    static int readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    private static final class ChannelFile implements LogFile {
        private final FileChannel channel;

        ChannelFile(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(ByteBuffer[] srcs, int offset, int length, long position) throws IOException {
            long remaining = 0;
            for (int i = offset; i < offset + length; i++) {
                remaining += srcs[i].remaining();
            }
            channel.position(position);
            int first = offset;
            int end = offset + length;
            while (remaining > 0) {
                remaining -= channel.write(srcs, first, end - first);
                while (first < end && !srcs[first].hasRemaining()) {
                    first++;
                }
            }
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            long pos = position;
            while (src.hasRemaining()) {
                pos += channel.write(src, pos);
            }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return readFully(channel, dst, position);
        }

        @Override
        public void force() throws IOException {
            channel.force(false);
        }

        @Override
        public void truncate(long size) throws IOException {
            if (channel.size() > size) {
                channel.truncate(size);
            }
        }

        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
