package io.gmq.net.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.net.server.GmqServer;
import io.gmq.storage.AppendResult;
import io.gmq.wire.GrpcErrors;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RemoteStorage while its storage process stops and comes back on the same address. */
final class RemoteStorageReconnectTest {
    @TempDir
    Path dir;

    @Test
    void callsFailUnavailableWhileStorageIsDownAndWorkAgainOnceItIsBack() throws Exception {
        GmqConfig config =
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build();
        GmqServer first = GmqServer.storage(config, "127.0.0.1", 0);
        int port = first.port();
        try (RemoteStorage remote = RemoteStorage.connect("127.0.0.1:" + port, 1 << 20)) {
            remote.createTopic("r", 1);
            TopicPartition tp = new TopicPartition("r", 0);
            assertEquals(
                    0,
                    remote.append(tp, StorageContract.batch("a"), true)
                            .get(10, TimeUnit.SECONDS)
                            .baseOffset());
            CompletableFuture<?> waitingFetch = remote.fetch(tp, 1, 1 << 20, 60_000);

            first.close();

            GmqException down = assertThrows(GmqException.class, remote::listTopics);
            assertEquals(ErrorCode.UNAVAILABLE, down.code());
            assertEquals(
                    ErrorCode.UNAVAILABLE, failureOf(waitingFetch).code(), "outstanding requests fail, never hang");
            assertEquals(
                    ErrorCode.UNAVAILABLE,
                    failureOf(remote.append(tp, StorageContract.batch("b"), true))
                            .code());

            try (GmqServer second = GmqServer.storage(config, "127.0.0.1", port)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (true) {
                    try {
                        assertEquals(java.util.List.of(new TopicInfo("r", 1)), remote.listTopics());
                        break;
                    } catch (GmqException e) {
                        if (e.code() != ErrorCode.UNAVAILABLE || System.nanoTime() > deadline) {
                            throw e;
                        }
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                    }
                }
                AppendResult again =
                        remote.append(tp, StorageContract.batch("c"), true).get(10, TimeUnit.SECONDS);
                assertEquals(1, again.baseOffset(), "a new append stream opened by itself");
            }
        }
    }

    private static GmqException failureOf(CompletableFuture<?> f) throws Exception {
        try {
            f.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return GrpcErrors.toGmq(e.getCause());
        }
        throw new AssertionError("expected a failure");
    }
}
