package io.gmq.net.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.net.security.BrokerAccess;
import io.gmq.net.security.SecurityContext;
import io.gmq.proto.ClientFrame;
import io.gmq.proto.Heartbeat;
import io.gmq.proto.ServerFrame;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The session's inbound flow control: frames are requested again in batches, never beyond the in-flight bound. */
final class ClientSessionFlowTest {

    @Test
    void framesAreRequestedAgainInBatchesWithinTheInFlightBound() {
        RecordingStream out = new RecordingStream();
        int maxInFlight = 64; // batches of 64 / 16 = 4
        ClientSession session = new ClientSession(
                null, out, () -> {}, BrokerAccess.allowAll(), SecurityContext.ANONYMOUS, null, maxInFlight);
        assertEquals(List.of(64), out.requests, "the whole bound is requested up front");

        ClientFrame heartbeat = ClientFrame.newBuilder()
                .setHeartbeat(Heartbeat.newBuilder().setTimestampMillis(1))
                .build();
        for (int handled = 1; handled <= 10; handled++) {
            session.onNext(heartbeat);
            long requested = out.requests.stream().mapToLong(Integer::longValue).sum();
            long outstanding = requested - handled;
            assertTrue(
                    outstanding <= maxInFlight && outstanding > maxInFlight - 4,
                    "after " + handled + " frames " + outstanding + " are requested and not yet received");
        }
        assertEquals(List.of(64, 4, 4), out.requests, "two batches for ten frames, two frames still to give back");
        assertEquals(10, out.written.size(), "every heartbeat answered");
    }

    /** A response stream that records what the session asks of it. */
    private static final class RecordingStream extends ServerCallStreamObserver<ServerFrame> {
        final List<Integer> requests = new ArrayList<>();
        final List<ServerFrame> written = new ArrayList<>();

        @Override
        public void request(int count) {
            requests.add(count);
        }

        @Override
        public void onNext(ServerFrame value) {
            written.add(value);
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setOnCancelHandler(Runnable onCancelHandler) {}

        @Override
        public void setCompression(String compression) {}

        @Override
        public void setOnReadyHandler(Runnable onReadyHandler) {}

        @Override
        public void disableAutoInboundFlowControl() {}

        @Override
        public void disableAutoRequest() {}

        @Override
        public void setMessageCompression(boolean enable) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
    }
}
