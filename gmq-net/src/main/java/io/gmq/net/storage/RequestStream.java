package io.gmq.net.storage;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * One long-lived request/response stream on which many requests are outstanding at once, each
 * matched to its response by request id.
 *
 * <p>Invariant: every future handed out completes exactly once: with its response, or with
 * UNAVAILABLE when the stream it was sent on breaks, or when this is closed. A broken stream is
 * replaced lazily by the next {@link #send}; requests are never resent (the caller decides,
 * since an append may or may not have happened).
 */
final class RequestStream<Req, Resp, Result> {
    private final String name;
    private final String target;
    private final Runnable onUnavailable;
    private final Function<StreamObserver<Resp>, StreamObserver<Req>> open;
    private final ToLongFunction<Resp> idOf;
    private final Function<Resp, Result> decode;
    private final AtomicLong nextId = new AtomicLong(1);

    private Stream current;
    private boolean closed;

    RequestStream(
            String name,
            String target,
            Runnable onUnavailable,
            Function<StreamObserver<Resp>, StreamObserver<Req>> open,
            ToLongFunction<Resp> idOf,
            Function<Resp, Result> decode) {
        this.name = name;
        this.target = target;
        this.onUnavailable = onUnavailable;
        this.open = open;
        this.idOf = idOf;
        this.decode = decode;
    }

    CompletableFuture<Result> send(Function<Long, Req> build) {
        long id = nextId.getAndIncrement();
        CompletableFuture<Result> f = new CompletableFuture<>();
        Req request = build.apply(id);
        synchronized (this) {
            if (closed) {
                f.completeExceptionally(new GmqException(ErrorCode.UNAVAILABLE, "storage client is closed"));
                return f;
            }
            Stream s = current;
            if (s == null || s.broken) {
                s = new Stream();
                s.requests = open.apply(s);
                current = s;
            }
            s.pending.put(id, f);
            try {
                s.requests.onNext(request);
            } catch (RuntimeException e) {
                s.broken = true;
                if (s.pending.remove(id) != null) {
                    f.completeExceptionally(RemoteStorage.classify(e, target));
                }
            }
            // The stream may have broken while we registered: onError sets broken before it fails
            // the pending futures, so either it saw our entry or we see broken here.
            if (s.broken && s.pending.remove(id) != null) {
                f.completeExceptionally(new GmqException(
                        ErrorCode.UNAVAILABLE,
                        "storage at " + target + " is unavailable (" + name + " stream broke); retry"));
            }
        }
        return f;
    }

    void close() {
        Stream s;
        synchronized (this) {
            closed = true;
            s = current;
            current = null;
        }
        if (s != null) {
            try {
                s.requests.onCompleted();
            } catch (RuntimeException ignored) {
                // already broken
            }
            s.failAll(new GmqException(ErrorCode.UNAVAILABLE, "storage client closed"));
        }
    }

    /** One gRPC call; its pending map holds the futures of requests sent on it. */
    private final class Stream implements ClientResponseObserver<Req, Resp> {
        final Map<Long, CompletableFuture<Result>> pending = new ConcurrentHashMap<>();
        StreamObserver<Req> requests;
        volatile boolean broken;

        @Override
        public void beforeStart(ClientCallStreamObserver<Req> requestStream) {
            // Default automatic inbound flow control: responses are small relative to requests and
            // bounded by the requests we have outstanding.
        }

        @Override
        public void onNext(Resp response) {
            CompletableFuture<Result> f = pending.remove(idOf.applyAsLong(response));
            if (f == null) {
                return;
            }
            try {
                f.complete(decode.apply(response));
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        }

        @Override
        public void onError(Throwable t) {
            broken = true;
            GmqException e = RemoteStorage.classify(t, target);
            failAll(e);
            if (e.code() == ErrorCode.UNAVAILABLE) {
                onUnavailable.run();
            }
        }

        @Override
        public void onCompleted() {
            broken = true;
            failAll(new GmqException(
                    ErrorCode.UNAVAILABLE, "storage at " + target + " closed the " + name + " stream; retry"));
        }

        void failAll(GmqException e) {
            List<Long> ids = new ArrayList<>(pending.keySet());
            for (Long id : ids) {
                CompletableFuture<Result> f = pending.remove(id);
                if (f != null) {
                    f.completeExceptionally(e);
                }
            }
        }
    }
}
