package io.gmq.net.hostile;

import io.gmq.proto.ClientFrame;
import io.gmq.proto.GmqBrokerGrpc;
import io.gmq.proto.ServerFrame;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A typed client Session stream for tests: send frames, wait (with a deadline) for matching answers. */
final class Session implements StreamObserver<ServerFrame>, AutoCloseable {
    private final LinkedBlockingQueue<ServerFrame> received = new LinkedBlockingQueue<>();
    private final StreamObserver<ClientFrame> requests;
    final CompletableFuture<Throwable> ended = new CompletableFuture<>();

    Session(GmqBrokerGrpc.GmqBrokerStub stub) {
        this.requests = stub.session(this);
    }

    synchronized void send(ClientFrame f) {
        requests.onNext(f);
    }

    /** The next frame matching {@code p} within 10 s; fails the test otherwise. */
    ServerFrame await(Predicate<ServerFrame> p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            long left = deadline - System.nanoTime();
            ServerFrame f = left > 0 ? received.poll(left, TimeUnit.NANOSECONDS) : null;
            if (f == null) {
                throw new AssertionError("no matching frame within 10 s; stream ended with " + ended.getNow(null));
            }
            if (p.test(f)) {
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
