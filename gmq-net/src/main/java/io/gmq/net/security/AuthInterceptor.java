package io.gmq.net.security;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.client.internal.ChannelSecurity;
import io.gmq.security.Authenticator;
import io.gmq.security.Principal;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.util.Locale;

/**
 * Authenticates every call before any service code runs: reads {@code authorization: Bearer
 * <token>}, asks the {@link Authenticator}, and on success runs the call with the principal in its
 * {@link Context} ({@link SecurityContext#principal()}). A missing, malformed or unknown token
 * closes the call with UNAUTHENTICATED and the same message whatever the reason, so a caller cannot
 * tell a wrong token from a missing one. The authenticator writes the failure to the audit log.
 *
 * <p>The standard health service is exempt: orchestrators probe it without credentials, and it
 * says nothing but SERVING / NOT_SERVING.
 */
public final class AuthInterceptor implements ServerInterceptor {
    private static final String HEALTH_SERVICE = HealthGrpc.SERVICE_NAME;

    private final Authenticator authenticator;

    public AuthInterceptor(Authenticator authenticator) {
        this.authenticator = authenticator;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (HEALTH_SERVICE.equals(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        Principal principal;
        try {
            principal = authenticator.authenticate(bearerToken(headers.get(ChannelSecurity.AUTHORIZATION)));
        } catch (GmqException e) {
            Status status = e.code() == ErrorCode.UNAUTHENTICATED
                    ? Status.UNAUTHENTICATED.withDescription(e.getMessage())
                    : Status.INTERNAL.withDescription("authentication failed: " + e.getMessage());
            call.close(status, new Metadata());
            return new ServerCall.Listener<>() {};
        }
        Context ctx = Context.current().withValue(SecurityContext.PRINCIPAL, principal);
        return Contexts.interceptCall(ctx, call, headers, next);
    }

    /** The token of a {@code Bearer} header (scheme case-insensitive), or null if there is none. */
    static String bearerToken(String header) {
        if (header == null) {
            return null;
        }
        String prefix = ChannelSecurity.BEARER_PREFIX;
        if (header.length() <= prefix.length()
                || !header.substring(0, prefix.length())
                        .toLowerCase(Locale.ROOT)
                        .equals(prefix.toLowerCase(Locale.ROOT))) {
            return null;
        }
        return header.substring(prefix.length()).strip();
    }
}
