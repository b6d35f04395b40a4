package io.gmq.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.wire.GrpcErrors;
import io.grpc.Status;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

final class GrpcErrorsTest {
    @Test
    void everyErrorCodeSurvivesAStatusRoundTrip() {
        Set<Status.Code> used = new HashSet<>();
        for (ErrorCode code : ErrorCode.values()) {
            GmqException back = GrpcErrors.toGmq(GrpcErrors.toStatus(new GmqException(code, "why " + code)));
            assertEquals(code, back.code());
            assertEquals("why " + code, back.getMessage());
            used.add(GrpcErrors.statusCode(code));
        }
        assertEquals(ErrorCode.values().length, used.size(), "the mapping is one-to-one");
    }

    @Test
    void everyErrorCodeSurvivesAStreamErrorRoundTrip() {
        for (ErrorCode code : ErrorCode.values()) {
            assertEquals(
                    code,
                    GrpcErrors.fromProto(GrpcErrors.toProto(new GmqException(code, "m")))
                            .code());
        }
    }

    @Test
    void unexpectedExceptionsAreInternal() {
        assertEquals(
                Status.Code.INTERNAL,
                GrpcErrors.toStatus(new IllegalStateException("bug"))
                        .getStatus()
                        .getCode());
    }
}
