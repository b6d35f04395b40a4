package io.gmq.net.broker;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Runs what a quota holds back once its wait is over, on one daemon thread shared by every session. */
final class Throttle {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gmq-quota-throttle");
        t.setDaemon(true);
        return t;
    });

    private Throttle() {}

    static void after(long nanos, Runnable action) {
        TIMER.schedule(action, nanos, TimeUnit.NANOSECONDS);
    }
}
