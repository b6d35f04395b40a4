package io.gmq.net.perf;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** Waits for a run to count its records, failing when the count stops moving for too long. */
final class RunWaiter {
    private RunWaiter() {}

    /**
     * Returns once {@code done} opens; throws DEADLINE_EXCEEDED when {@code progress} has not
     * changed for {@code idleMillis}.
     */
    static void await(CountDownLatch done, LongSupplier progress, long idleMillis, String what)
            throws InterruptedException {
        long last = progress.getAsLong();
        long lastChange = System.nanoTime();
        while (!done.await(100, TimeUnit.MILLISECONDS)) {
            long now = progress.getAsLong();
            if (now != last) {
                last = now;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > TimeUnit.MILLISECONDS.toNanos(idleMillis)) {
                throw new GmqException(
                        ErrorCode.DEADLINE_EXCEEDED,
                        what + ": no progress for " + idleMillis + " ms after " + now
                                + " records; does the topic hold enough records?");
            }
        }
    }
}
