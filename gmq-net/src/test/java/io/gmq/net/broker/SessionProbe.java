package io.gmq.net.broker;

import io.gmq.proto.ClientFrame;
import io.gmq.proto.GmqBrokerGrpc;
import io.gmq.proto.ServerFrame;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A test client session: sends frames, and waits (with a deadline) for server frames that match. */
final class SessionProbe implements StreamObserver<ServerFrame>, AutoCloseable {
    final LinkedBlockingQueue<ServerFrame> received = new LinkedBlockingQueue<>();
    final StreamObserver<ClientFrame> requests;
    volatile Throwable error;

    SessionProbe(GmqBrokerGrpc.GmqBrokerStub stub) {
        this.requests = stub.session(this);
    }

    synchronized void send(ClientFrame f) {
        requests.onNext(f);
    }

    /** The next frame matching {@code p} within 10 s (non-matching frames are dropped). */
    ServerFrame await(Predicate<ServerFrame> p) throws InterruptedException {
        return await(p, 10_000);
    }

    /** The next matching frame within {@code millis}, or null. */
    ServerFrame await(Predicate<ServerFrame> p, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                if (millis >= 10_000) {
                    throw new AssertionError("no matching frame within " + millis + " ms; error=" + error);
                }
                return null;
            }
            ServerFrame f = received.poll(left, TimeUnit.NANOSECONDS);
            if (f != null && p.test(f)) {
                return f;
            }
        }
    }

    @Override
    public void onNext(ServerFrame f) {
        received.add(f);
    }

    @Override
    public void onError(Throwable t) {
        error = t;
    }

    @Override
    public void onCompleted() {}

    @Override
    public synchronized void close() {
        try {
            requests.onCompleted();
        } catch (RuntimeException ignored) {
            // already closed
        }
    }
}
