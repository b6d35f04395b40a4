package io.gmq.security;

import io.gmq.GmqException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls token and ACL files for changes on one daemon thread ({@value #THREAD_NAME}) and applies
 * them ({@link Reloadable#reloadIfChanged()}); {@link #reloadNow()} is the explicit hook.
 *
 * <p>Polling rather than a {@code WatchService}: it works the same on every file system (network
 * mounts and Kubernetes' symlink-swapped secret volumes included) and costs one small read per file
 * per interval. A failed reload is logged by the file itself, and the previous version stays in
 * force.
 */
public final class SecurityFileWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SecurityFileWatcher.class);
    static final String THREAD_NAME = "gmq-security-reload";

    private final List<Reloadable> files;
    private final ScheduledExecutorService poller;

    private SecurityFileWatcher(List<Reloadable> files, ScheduledExecutorService poller) {
        this.files = files;
        this.poller = poller;
    }

    /**
     * Watches {@code files}, checking each every {@code interval}; with a zero interval nothing is
     * polled and only {@link #reloadNow()} reloads.
     */
    public static SecurityFileWatcher start(List<? extends Reloadable> files, Duration interval) {
        if (interval.isNegative()) {
            throw GmqException.invalidArgument("the reload interval must be 0 (off) or positive, was " + interval);
        }
        List<Reloadable> watched = List.copyOf(files);
        if (interval.isZero() || watched.isEmpty()) {
            return new SecurityFileWatcher(watched, null);
        }
        ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, THREAD_NAME);
            t.setDaemon(true);
            return t;
        });
        SecurityFileWatcher w = new SecurityFileWatcher(watched, poller);
        long millis = Math.max(1, interval.toMillis());
        poller.scheduleWithFixedDelay(w::poll, millis, millis, TimeUnit.MILLISECONDS);
        return w;
    }

    /**
     * Re-reads every file now. Each file is tried even if an earlier one fails.
     *
     * @return true if any file changed
     * @throws GmqException the first failure (file and line in its message); files that failed keep
     *     their previous version
     */
    public boolean reloadNow() {
        boolean changed = false;
        GmqException failure = null;
        for (Reloadable f : files) {
            try {
                changed |= f.reloadIfChanged();
            } catch (GmqException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return changed;
    }

    private void poll() {
        try {
            reloadNow();
        } catch (GmqException e) {
            // Already logged by the file (once per broken content); keep polling.
        } catch (RuntimeException e) {
            LOG.error("checking the security files failed; will retry", e);
        }
    }

    @Override
    public void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }
}
