package io.gmq.junit;

import io.gmq.ConsumeMessage;
import io.gmq.MessageHandler;
import io.gmq.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** Collects what a consumer receives and lets a test wait for it (no sleeps). */
public final class MessageCollector implements MessageHandler, AutoCloseable {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final List<ConsumeMessage> messages = new ArrayList<>();
    private Subscription subscription;

    MessageCollector() {}

    void attach(Subscription s) {
        this.subscription = s;
    }

    public Subscription subscription() {
        return subscription;
    }

    @Override
    public void handle(ConsumeMessage message) {
        lock.lock();
        try {
            messages.add(message);
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Everything received so far, in arrival order. */
    public List<ConsumeMessage> messages() {
        lock.lock();
        try {
            return List.copyOf(messages);
        } finally {
            lock.unlock();
        }
    }

    public List<String> payloads() {
        return messages().stream().map(ConsumeMessage::payloadAsString).toList();
    }

    /** Waits until at least {@code n} messages arrived; fails the test with what did arrive otherwise. */
    public List<ConsumeMessage> await(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (messages.size() < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + n + " messages within " + timeout + ", got "
                            + messages.size() + ": " + messages);
                }
                arrived.await(left, TimeUnit.NANOSECONDS);
            }
            return List.copyOf(messages);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for messages", e);
        } finally {
            lock.unlock();
        }
    }

    /** Waits for {@code n} messages with a 10 second timeout. */
    public List<ConsumeMessage> await(int n) {
        return await(n, Duration.ofSeconds(10));
    }

    @Override
    public void close() {
        if (subscription != null) {
            subscription.close();
        }
    }
}
