package io.gmq.net.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.proto.AppendRequest;
import io.gmq.proto.AppendResponse;
import io.gmq.proto.AppendResults;
import io.gmq.proto.ClusterCommand;
import io.gmq.proto.ClusterReply;
import io.gmq.storage.AppendResult;
import io.gmq.wire.GrpcErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Appends waiting behind an entry in flight go out together, in order, each with its own outcome. */
class AppendCombinerTest {
    /** Entries proposed so far, each answered when the test says so. */
    private final List<ClusterCommand> proposed = new ArrayList<>();

    private final List<CompletableFuture<ClusterReply>> replies = new ArrayList<>();

    private final AppendCombiner combiner = recording(1);

    /** A combiner of 100-byte entries whose proposals the test records and answers. */
    private AppendCombiner recording(int maxInFlight) {
        return new AppendCombiner(
                c -> {
                    proposed.add(c.build());
                    CompletableFuture<ClusterReply> reply = new CompletableFuture<>();
                    replies.add(reply);
                    return reply;
                },
                100,
                maxInFlight);
    }

    @Test
    void anIdleNodeSendsAnAppendAloneAndAtOnce() {
        CompletableFuture<AppendResult> a = combiner.append(request("a", 10));

        assertEquals(1, proposed.size());
        assertEquals("a", proposed.get(0).getAppend().getTopic());
        replies.get(0).complete(ClusterReply.newBuilder().setAppend(ok(5, 1)).build());
        assertEquals(5, a.join().baseOffset());
    }

    @Test
    void appendsArrivingDuringAnEntryGoOutAsTheNextEntryInTheirOrder() {
        CompletableFuture<AppendResult> first = combiner.append(request("first", 10));
        List<CompletableFuture<AppendResult>> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiting.add(combiner.append(request("w" + i, 10)));
        }
        assertEquals(1, proposed.size(), "nothing more is proposed while an entry is in flight");

        replies.get(0).complete(ClusterReply.newBuilder().setAppend(ok(0, 1)).build());
        assertEquals(0, first.join().baseOffset());
        assertEquals(2, proposed.size());
        List<AppendRequest> combined = proposed.get(1).getAppends().getAppendsList();
        assertEquals(
                List.of("w0", "w1", "w2"),
                combined.stream().map(AppendRequest::getTopic).toList());

        replies.get(1)
                .complete(ClusterReply.newBuilder()
                        .setAppends(AppendResults.newBuilder()
                                .addResults(ok(1, 1))
                                .addResults(AppendResponse.newBuilder()
                                        .setError(GrpcErrors.toProto(GmqException.invalidArgument("bad frame"))))
                                .addResults(ok(2, 1)))
                        .build());
        assertEquals(1, waiting.get(0).join().baseOffset());
        GmqException bad = assertThrows(GmqException.class, () -> unwrap(waiting.get(1)));
        assertEquals(ErrorCode.INVALID_ARGUMENT, bad.code());
        assertEquals(2, waiting.get(2).join().baseOffset());
    }

    @Test
    void anEntryHoldsAtMostTheByteLimitButAtLeastOneBatch() {
        combiner.append(request("first", 10));
        combiner.append(request("big", 150)); // alone above the limit: an entry of its own
        combiner.append(request("x", 60));
        combiner.append(request("y", 60)); // 60 + 60 > 100: next entry

        replies.get(0).complete(ClusterReply.newBuilder().setAppend(ok(0, 1)).build());
        assertEquals("big", proposed.get(1).getAppend().getTopic());
        replies.get(1).complete(ClusterReply.newBuilder().setAppend(ok(1, 1)).build());
        assertEquals("x", proposed.get(2).getAppend().getTopic());
        replies.get(2).complete(ClusterReply.newBuilder().setAppend(ok(2, 1)).build());
        assertEquals("y", proposed.get(3).getAppend().getTopic());
        assertEquals(4, proposed.size());
    }

    @Test
    void aFailedEntryFailsEachOfItsAppendsAndTheNextEntryStillGoesOut() {
        combiner.append(request("first", 10));
        CompletableFuture<AppendResult> a = combiner.append(request("a", 10));
        CompletableFuture<AppendResult> b = combiner.append(request("b", 10));
        replies.get(0).complete(ClusterReply.newBuilder().setAppend(ok(0, 1)).build());

        GmqException unavailable = new GmqException(ErrorCode.UNAVAILABLE, "no majority");
        replies.get(1).completeExceptionally(new CompletionException(unavailable));
        assertSame(unavailable, assertThrows(GmqException.class, () -> unwrap(a)));
        assertSame(unavailable, assertThrows(GmqException.class, () -> unwrap(b)));

        CompletableFuture<AppendResult> after = combiner.append(request("after", 10));
        assertEquals(3, proposed.size(), "the combiner is idle again after a failure");
        assertFalse(after.isDone());
    }

    @Test
    void aProposalThatFailsAtOnceDoesNotStallTheQueue() {
        AppendCombiner failing = new AppendCombiner(
                c -> CompletableFuture.failedFuture(new GmqException(ErrorCode.UNAVAILABLE, "closed")), 100, 1);
        CompletableFuture<AppendResult> a = failing.append(request("a", 10));
        CompletableFuture<AppendResult> b = failing.append(request("b", 10));
        assertTrue(a.isCompletedExceptionally());
        assertTrue(b.isCompletedExceptionally());
    }

    @Test
    void withTwoInFlightASecondEntryGoesOutBeforeTheFirstIsAnswered() {
        AppendCombiner two = recording(2);
        two.append(request("a", 10));
        two.append(request("b", 10));
        two.append(request("c", 10));
        two.append(request("d", 10));
        assertEquals(2, proposed.size(), "two entries in flight, the rest wait");
        replies.get(1).complete(ClusterReply.newBuilder().setAppend(ok(1, 1)).build());
        assertEquals(3, proposed.size());
        assertEquals(
                List.of("c", "d"),
                proposed.get(2).getAppends().getAppendsList().stream()
                        .map(AppendRequest::getTopic)
                        .toList());
    }

    private static AppendRequest request(String topic, int bytes) {
        return AppendRequest.newBuilder()
                .setTopic(topic)
                .setBatch(ByteString.copyFrom(new byte[bytes]))
                .build();
    }

    private static AppendResponse ok(long baseOffset, int records) {
        return AppendResponse.newBuilder()
                .setBaseOffset(baseOffset)
                .setRecordCount(records)
                .build();
    }

    private static AppendResult unwrap(CompletableFuture<AppendResult> f) throws Throwable {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw e.getCause();
        }
    }
}
