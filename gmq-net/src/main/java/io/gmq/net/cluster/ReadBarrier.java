package io.gmq.net.cluster;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.wire.GrpcErrors;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;

/**
 * What a node does before it answers a read of a group from its own replica: Ratis's
 * linearizable read, submitted to its own Raft server in this process (no network hop). It
 * completes once the node still leads the group, by its lease or by a round to a majority, and
 * has applied every entry committed before the call. So a leader that lost its majority and has
 * not noticed yet answers no read (it may not have the newest data), and a read sees every write
 * acknowledged before it. It fails UNAVAILABLE when the node does not lead or cannot confirm it
 * within {@link RaftSettings#READ_TIMEOUT_MILLIS}.
 */
final class ReadBarrier {
    private final RaftServer server;
    private final RaftPeerId self;
    private final ClientId clientId = ClientId.randomId();

    ReadBarrier(RaftServer server, RaftPeerId self) {
        this.server = server;
        this.self = self;
    }

    CompletableFuture<Void> await(RaftShard shard) {
        RaftClientRequest request = RaftClientRequest.newBuilder()
                .setClientId(clientId)
                .setServerId(self)
                .setGroupId(shard.id())
                .setCallId(StorageNode.CALL_IDS.incrementAndGet())
                .setMessage(Message.EMPTY)
                .setType(RaftClientRequest.readRequestType())
                .build();
        CompletableFuture<RaftClientReply> reply;
        try {
            reply = server.submitClientRequestAsync(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(unconfirmed(shard, e));
        }
        return reply.handle((r, failure) -> {
            if (failure != null) {
                throw new CompletionException(unconfirmed(shard, GrpcErrors.unwrap(failure)));
            }
            if (!r.isSuccess()) {
                throw new CompletionException(unconfirmed(shard, r.getException()));
            }
            return null;
        });
    }

    private GmqException unconfirmed(RaftShard shard, Throwable cause) {
        return new GmqException(
                ErrorCode.UNAVAILABLE,
                "storage node " + self + " cannot confirm it leads group " + shard.name() + " (" + cause + "); retry",
                cause);
    }
}
