package io.gmq.internal.log;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One opening of a segment's two files (the {@code .log} and its {@code .index}), with a pin count
 * that keeps it open while a thread uses it. A {@link Segment} holds at most one current
 * {@code SegmentFiles}; when the {@link SegmentFileCache} closes it to stay under the open-file cap,
 * the next user opens a new one.
 *
 * <p>State, one int changed only by CAS:
 *
 * <pre>
 *   state >= 0             open, {@code state} threads hold a pin
 *   state &lt; 0 (RETIRED bit) no new pins; the files are being closed or are closed
 *                          ({@code state - RETIRED} pins are still draining)
 * </pre>
 *
 * The cache retires a handle only from {@code 0} ({@link #tryClaimIdle}), so eviction never closes
 * a file under a thread that pinned it. Deleting or closing the whole segment ({@link #retire})
 * sets the bit whatever the pins: those readers then get a {@link
 * java.nio.channels.ClosedChannelException} and look the log up again, as they always did when
 * retention deleted a segment under them.
 *
 * <p>{@link #released} turns true once the files are closed (after the force that eviction of a
 * dirty handle does first). A thread that wants the segment's files again waits for it before
 * opening a new handle, so a new handle never overtakes the force of the old one.
 */
final class SegmentFiles {
    private static final int RETIRED = Integer.MIN_VALUE;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(SegmentFiles.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Segment segment;
    final LogFileIO.LogFile log;
    final LogFileIO.LogFile indexFile;

    @SuppressWarnings("unused") // through STATE
    private volatile int state;

    /** CLOCK bit: set by every pin, cleared by the cache's sweep; a set bit spares the handle once. */
    volatile boolean referenced = true;

    /** Position in the cache's ring, -1 when not in it. Guarded by the cache's monitor. */
    int slot = -1;

    private boolean closed;
    private volatile boolean released;

    SegmentFiles(Segment segment, LogFileIO.LogFile log, LogFileIO.LogFile indexFile) {
        this.segment = segment;
        this.log = log;
        this.indexFile = indexFile;
    }

    /**
     * Opens both files of {@code segment}; for a segment that already has bytes, checks that the log
     * file still holds all of them (a file cut short outside GMQ must not be served as a shorter log).
     */
    static SegmentFiles open(Segment segment, LogFileIO io) throws IOException {
        LogFileIO.LogFile log = io.open(segment.logPath);
        LogFileIO.LogFile indexFile;
        try {
            indexFile = io.open(segment.indexPath);
        } catch (IOException e) {
            closeQuietly(log, e);
            throw e;
        }
        SegmentFiles files = new SegmentFiles(segment, log, indexFile);
        try {
            // written first: the size can only have grown since (the writer waits for this open)
            int written = segment.writtenPosition;
            long size = log.size();
            if (size < written) {
                throw new IOException(segment.logPath + " holds " + size + " bytes but the log wrote " + written
                        + "; the file was changed outside GMQ");
            }
        } catch (IOException e) {
            files.closeFiles(e);
            throw e;
        }
        return files;
    }

    /** Pins the handle if it is still open; lock-free, allocation-free. */
    boolean tryPin() {
        while (true) {
            int s = (int) STATE.getVolatile(this);
            if (s < 0) {
                return false;
            }
            if (STATE.compareAndSet(this, s, s + 1)) {
                if (!referenced) {
                    referenced = true;
                }
                return true;
            }
        }
    }

    void unpin() {
        STATE.getAndAdd(this, -1);
    }

    /** Retires the handle if nobody holds a pin; the caller then owns closing it. */
    boolean tryClaimIdle() {
        return STATE.compareAndSet(this, 0, RETIRED);
    }

    boolean isRetired() {
        return (int) STATE.getVolatile(this) < 0;
    }

    /**
     * Retires the handle whatever its pins (segment deleted or log closed) and closes the files;
     * returns once they are closed, also when an eviction was closing them already.
     */
    void retire() throws IOException {
        while (true) {
            int s = (int) STATE.getVolatile(this);
            if (s < 0 || STATE.compareAndSet(this, s, s | RETIRED)) {
                break;
            }
        }
        try {
            close();
        } finally {
            awaitReleased();
        }
    }

    /** Closes both files once (later calls do nothing) and wakes threads waiting for the release. */
    void close() throws IOException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            closeFiles(null);
        } finally {
            synchronized (this) {
                released = true;
                notifyAll();
            }
        }
    }

    /** Waits until a retired handle's files are closed (an eviction may be forcing them first). */
    void awaitReleased() {
        if (released) {
            return;
        }
        boolean interrupted = false;
        synchronized (this) {
            while (!released) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeFiles(IOException cause) throws IOException {
        IOException failure = cause;
        try {
            log.close();
        } catch (IOException e) {
            failure = add(failure, e);
        }
        try {
            indexFile.close();
        } catch (IOException e) {
            failure = add(failure, e);
        }
        if (failure != null && failure != cause) {
            throw failure;
        }
    }

    private static IOException add(IOException first, IOException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    private static void closeQuietly(LogFileIO.LogFile file, Exception cause) {
        try {
            file.close();
        } catch (IOException suppressed) {
            cause.addSuppressed(suppressed);
        }
    }

    @Override
    public String toString() {
        return "SegmentFiles[" + segment + ", state=" + (int) STATE.getVolatile(this) + "]";
    }
}
