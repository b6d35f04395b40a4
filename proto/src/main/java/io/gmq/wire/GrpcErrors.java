package io.gmq.wire;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one mapping between {@link ErrorCode} and gRPC status codes, used by every server (to
 * answer) and every client (to classify). It is one-to-one, so a code survives a round trip:
 *
 * <pre>
 *  ErrorCode            gRPC status
 *  INVALID_ARGUMENT     INVALID_ARGUMENT
 *  NOT_FOUND            NOT_FOUND
 *  ALREADY_EXISTS       ALREADY_EXISTS
 *  RESOURCE_EXHAUSTED   RESOURCE_EXHAUSTED
 *  FAILED_PRECONDITION  FAILED_PRECONDITION
 *  UNAVAILABLE          UNAVAILABLE
 *  DEADLINE_EXCEEDED    DEADLINE_EXCEEDED
 *  DATA_LOSS            DATA_LOSS
 *  UNAUTHENTICATED      UNAUTHENTICATED
 *  PERMISSION_DENIED    PERMISSION_DENIED
 *  INTERNAL             INTERNAL (also any gRPC code without a GMQ meaning)
 * </pre>
 */
public final class GrpcErrors {
    private GrpcErrors() {}

    public static Status.Code statusCode(ErrorCode code) {
        return switch (code) {
            case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
            case NOT_FOUND -> Status.Code.NOT_FOUND;
            case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
            case RESOURCE_EXHAUSTED -> Status.Code.RESOURCE_EXHAUSTED;
            case FAILED_PRECONDITION -> Status.Code.FAILED_PRECONDITION;
            case UNAVAILABLE -> Status.Code.UNAVAILABLE;
            case DEADLINE_EXCEEDED -> Status.Code.DEADLINE_EXCEEDED;
            case DATA_LOSS -> Status.Code.DATA_LOSS;
            case UNAUTHENTICATED -> Status.Code.UNAUTHENTICATED;
            case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
            case INTERNAL -> Status.Code.INTERNAL;
        };
    }

    public static ErrorCode errorCode(Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT, OUT_OF_RANGE -> ErrorCode.INVALID_ARGUMENT;
            case NOT_FOUND -> ErrorCode.NOT_FOUND;
            case ALREADY_EXISTS -> ErrorCode.ALREADY_EXISTS;
            case RESOURCE_EXHAUSTED -> ErrorCode.RESOURCE_EXHAUSTED;
            case FAILED_PRECONDITION, ABORTED -> ErrorCode.FAILED_PRECONDITION;
            // CANCELLED: the peer went away mid-call, which to the caller is the same as unreachable.
            case UNAVAILABLE, CANCELLED -> ErrorCode.UNAVAILABLE;
            case DEADLINE_EXCEEDED -> ErrorCode.DEADLINE_EXCEEDED;
            case DATA_LOSS -> ErrorCode.DATA_LOSS;
            case UNAUTHENTICATED -> ErrorCode.UNAUTHENTICATED;
            case PERMISSION_DENIED -> ErrorCode.PERMISSION_DENIED;
            default -> ErrorCode.INTERNAL;
        };
    }

    /** What a server answers for {@code failure}: a GmqException keeps its code and message. */
    public static StatusRuntimeException toStatus(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof StatusRuntimeException sre) {
            return sre;
        }
        if (t instanceof StatusException se) {
            return se.getStatus().asRuntimeException(se.getTrailers());
        }
        if (t instanceof GmqException g) {
            return Status.fromCode(statusCode(g.code()))
                    .withDescription(g.getMessage())
                    .asRuntimeException();
        }
        return Status.INTERNAL.withDescription(String.valueOf(t)).withCause(t).asRuntimeException();
    }

    /** What a client throws for {@code failure}: a gRPC status becomes the GmqException it stands for. */
    public static GmqException toGmq(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof GmqException g) {
            return g;
        }
        Status status = null;
        if (t instanceof StatusRuntimeException sre) {
            status = sre.getStatus();
        } else if (t instanceof StatusException se) {
            status = se.getStatus();
        }
        if (status != null) {
            String description = status.getDescription();
            if (status.getCode() == Status.Code.UNAVAILABLE && status.getCause() != null) {
                description = (description == null ? "" : description + ": ")
                        + status.getCause().getMessage();
            }
            return new GmqException(
                    errorCode(status.getCode()),
                    description == null ? status.getCode().name() : description,
                    t);
        }
        return new GmqException(ErrorCode.INTERNAL, String.valueOf(t), t);
    }

    public static io.gmq.proto.Error toProto(Throwable failure) {
        Throwable t = unwrap(failure);
        GmqException g = t instanceof GmqException ge ? ge : toGmq(t);
        return io.gmq.proto.Error.newBuilder()
                .setCode(toProto(g.code()))
                .setMessage(g.getMessage() == null ? "" : g.getMessage())
                .build();
    }

    public static GmqException fromProto(io.gmq.proto.Error error) {
        return new GmqException(fromProto(error.getCode()), error.getMessage());
    }

    /** The wire code of {@code code}: named one by one, so reordering either enum changes nothing. */
    public static io.gmq.proto.ErrorCode toProto(ErrorCode code) {
        return switch (code) {
            case INVALID_ARGUMENT -> io.gmq.proto.ErrorCode.INVALID_ARGUMENT;
            case NOT_FOUND -> io.gmq.proto.ErrorCode.NOT_FOUND;
            case ALREADY_EXISTS -> io.gmq.proto.ErrorCode.ALREADY_EXISTS;
            case RESOURCE_EXHAUSTED -> io.gmq.proto.ErrorCode.RESOURCE_EXHAUSTED;
            case FAILED_PRECONDITION -> io.gmq.proto.ErrorCode.FAILED_PRECONDITION;
            case UNAVAILABLE -> io.gmq.proto.ErrorCode.UNAVAILABLE;
            case DEADLINE_EXCEEDED -> io.gmq.proto.ErrorCode.DEADLINE_EXCEEDED;
            case DATA_LOSS -> io.gmq.proto.ErrorCode.DATA_LOSS;
            case UNAUTHENTICATED -> io.gmq.proto.ErrorCode.UNAUTHENTICATED;
            case PERMISSION_DENIED -> io.gmq.proto.ErrorCode.PERMISSION_DENIED;
            case INTERNAL -> io.gmq.proto.ErrorCode.INTERNAL;
        };
    }

    /** The domain code of a wire code; one this build does not know (a newer peer's) is INTERNAL. */
    public static ErrorCode fromProto(io.gmq.proto.ErrorCode code) {
        return switch (code) {
            case INVALID_ARGUMENT -> ErrorCode.INVALID_ARGUMENT;
            case NOT_FOUND -> ErrorCode.NOT_FOUND;
            case ALREADY_EXISTS -> ErrorCode.ALREADY_EXISTS;
            case RESOURCE_EXHAUSTED -> ErrorCode.RESOURCE_EXHAUSTED;
            case FAILED_PRECONDITION -> ErrorCode.FAILED_PRECONDITION;
            case UNAVAILABLE -> ErrorCode.UNAVAILABLE;
            case DEADLINE_EXCEEDED -> ErrorCode.DEADLINE_EXCEEDED;
            case DATA_LOSS -> ErrorCode.DATA_LOSS;
            case UNAUTHENTICATED -> ErrorCode.UNAUTHENTICATED;
            case PERMISSION_DENIED -> ErrorCode.PERMISSION_DENIED;
            case INTERNAL, ERROR_CODE_UNSPECIFIED, UNRECOGNIZED -> ErrorCode.INTERNAL;
        };
    }

    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
