package io.gmq.net.cluster;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.proto.AppendBatch;
import io.gmq.proto.AppendRequest;
import io.gmq.proto.AppendResponse;
import io.gmq.proto.ClusterCommand;
import io.gmq.proto.ClusterReply;
import io.gmq.storage.AppendResult;
import io.gmq.wire.GrpcErrors;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * Group commit for a storage cluster node: appends that arrive while the node's previous append
 * entry is being replicated wait, and go out together as the next entry ({@code AppendBatch}).
 * A Raft entry costs a force on every node's log and a round trip however small it is, so under
 * load this turns many one-record entries into few larger ones; when idle, an append goes out
 * at once, alone.
 *
 * <p>At most {@code maxInFlight} entries are in flight; the node's Raft client keeps them in
 * the order they were sent, so appends keep the order in which they reached the node (a
 * producer's batches to a partition stay in order). A second entry in flight lets a large entry
 * be forced and sent while the previous one is being acknowledged. An entry holds at most
 * {@code maxEntryBytes} of batches, or one batch when that alone is larger.
 */
final class AppendCombiner {
    private final Function<ClusterCommand.Builder, CompletableFuture<ClusterReply>> proposer;
    private final int maxEntryBytes;

    private final int maxInFlight;

    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private int inFlight;

    private record Pending(AppendRequest request, CompletableFuture<AppendResult> result) {}

    AppendCombiner(
            Function<ClusterCommand.Builder, CompletableFuture<ClusterReply>> proposer,
            int maxEntryBytes,
            int maxInFlight) {
        this.proposer = proposer;
        this.maxEntryBytes = maxEntryBytes;
        this.maxInFlight = maxInFlight;
    }

    CompletableFuture<AppendResult> append(AppendRequest request) {
        Pending p = new Pending(request, new CompletableFuture<>());
        List<Pending> entry;
        synchronized (this) {
            queue.add(p);
            if (inFlight == maxInFlight) {
                return p.result;
            }
            inFlight++;
            entry = takeEntry();
        }
        send(entry);
        return p.result;
    }

    /** Sends {@code entry}, then the appends that queued meanwhile, until the queue is empty. */
    private void send(List<Pending> entry) {
        while (entry != null) {
            CompletableFuture<ClusterReply> reply;
            try {
                reply = proposer.apply(command(entry));
            } catch (RuntimeException e) {
                reply = CompletableFuture.failedFuture(e);
            }
            if (!reply.isDone()) {
                List<Pending> sent = entry;
                reply.whenComplete((r, failure) -> {
                    complete(sent, r, failure);
                    send(next());
                });
                return;
            }
            Throwable failure = failure(reply);
            complete(entry, failure == null ? reply.join() : null, failure);
            entry = next();
        }
    }

    private static Throwable failure(CompletableFuture<ClusterReply> done) {
        try {
            done.join();
            return null;
        } catch (CompletionException e) {
            return e.getCause();
        } catch (RuntimeException e) {
            return e;
        }
    }

    private synchronized List<Pending> next() {
        if (queue.isEmpty()) {
            inFlight--;
            return null;
        }
        return takeEntry();
    }

    /** Called with the lock held and the queue not empty. */
    private List<Pending> takeEntry() {
        List<Pending> entry = new ArrayList<>();
        long bytes = 0;
        while (!queue.isEmpty()) {
            int size = queue.peek().request.getBatch().size();
            if (!entry.isEmpty() && bytes + size > maxEntryBytes) {
                break;
            }
            entry.add(queue.poll());
            bytes += size;
        }
        return entry;
    }

    private static ClusterCommand.Builder command(List<Pending> entry) {
        ClusterCommand.Builder c = ClusterCommand.newBuilder();
        if (entry.size() == 1) {
            return c.setAppend(entry.get(0).request);
        }
        AppendBatch.Builder batch = AppendBatch.newBuilder();
        for (Pending p : entry) {
            batch.addAppends(p.request);
        }
        return c.setAppends(batch);
    }

    private static void complete(List<Pending> entry, ClusterReply reply, Throwable failure) {
        if (failure != null) {
            Throwable cause = GrpcErrors.unwrap(failure);
            entry.forEach(p -> p.result.completeExceptionally(cause));
            return;
        }
        if (entry.size() == 1 && reply.hasAppend()) {
            complete(entry.get(0), reply.getAppend());
            return;
        }
        List<AppendResponse> results = reply.getAppends().getResultsList();
        if (results.size() != entry.size()) {
            GmqException e = new GmqException(
                    ErrorCode.INTERNAL,
                    "storage cluster answered " + results.size() + " outcomes for " + entry.size() + " appends");
            entry.forEach(p -> p.result.completeExceptionally(e));
            return;
        }
        for (int i = 0; i < entry.size(); i++) {
            complete(entry.get(i), results.get(i));
        }
    }

    private static void complete(Pending p, AppendResponse r) {
        if (r.hasError()) {
            p.result.completeExceptionally(GrpcErrors.fromProto(r.getError()));
        } else {
            p.result.complete(new AppendResult(r.getBaseOffset(), r.getRecordCount(), r.getLogAppendTimeMillis()));
        }
    }
}
