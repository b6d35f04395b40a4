package io.gmq.net.testing;

import io.gmq.proto.ClientFrame;
import io.gmq.proto.GmqBrokerGrpc;
import io.gmq.proto.Heartbeat;
import io.gmq.proto.ServerFrame;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A raw client Session stream for tests: sends frames, waits (with a deadline) for server frames
 * that match, and records how the server ended the stream.
 */
public final class SessionProbe implements StreamObserver<ServerFrame>, AutoCloseable {
    private static final long WAIT_MILLIS = 10_000;

    private final LinkedBlockingQueue<ServerFrame> received = new LinkedBlockingQueue<>();
    private final StreamObserver<ClientFrame> requests;
    /** Completes when the server ends the stream: with its error, or with null. */
    public final CompletableFuture<Throwable> ended = new CompletableFuture<>();

    public SessionProbe(GmqBrokerGrpc.GmqBrokerStub stub) {
        this.requests = stub.session(this);
    }

    public SessionProbe(ManagedChannel channel) {
        this(GmqBrokerGrpc.newStub(channel));
    }

    public synchronized void send(ClientFrame f) {
        requests.onNext(f);
    }

    /** The next frame matching {@code p} within 10 s (non-matching frames are dropped); fails the test otherwise. */
    public ServerFrame await(Predicate<ServerFrame> p) {
        ServerFrame f = awaitOrNull(p, WAIT_MILLIS);
        if (f == null) {
            throw new AssertionError(
                    "no matching frame within " + WAIT_MILLIS + " ms; stream ended with " + ended.getNow(null));
        }
        return f;
    }

    /** The next frame matching {@code p} within {@code millis}, or null. */
    public ServerFrame awaitOrNull(Predicate<ServerFrame> p, long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                ServerFrame f = received.poll(left, TimeUnit.NANOSECONDS);
                if (f != null && p.test(f)) {
                    return f;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for a frame", e);
        }
    }

    /** Sends a heartbeat and waits for its answer: the stream is open (and authenticated). */
    public void heartbeat() {
        send(ClientFrame.newBuilder()
                .setHeartbeat(Heartbeat.newBuilder().setTimestampMillis(1))
                .build());
        await(ServerFrame::hasHeartbeat);
    }

    @Override
    public void onNext(ServerFrame f) {
        received.add(f);
    }

    @Override
    public void onError(Throwable t) {
        ended.complete(t);
    }

    @Override
    public void onCompleted() {
        ended.complete(null);
    }

    @Override
    public synchronized void close() {
        try {
            requests.onCompleted();
        } catch (RuntimeException ignored) {
            // already ended
        }
    }
}
