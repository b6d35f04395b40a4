package io.gmq.net;

import io.gmq.GmqException;
import io.gmq.wire.GrpcErrors;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a unary call against the core and answers with its result or its mapped status. */
public final class Unary {
    private static final Logger LOG = LoggerFactory.getLogger(Unary.class);

    private Unary() {}

    public static <T> void unary(StreamObserver<T> out, Supplier<T> call) {
        T result;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            if (!(e instanceof GmqException)) {
                LOG.warn("call failed unexpectedly", e);
            }
            out.onError(GrpcErrors.toStatus(e));
            return;
        }
        out.onNext(result);
        out.onCompleted();
    }
}
