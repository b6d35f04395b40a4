package io.gmq.net.security;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.security.Authenticator;
import io.gmq.security.Principal;
import io.gmq.security.StaticTokenAuthenticator;
import io.gmq.wire.ChannelSecurity;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Locale;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates every call before any service code runs, and runs the call with the principal in
 * its {@link Context} ({@link SecurityContext#principal()}).
 *
 * <p>Where the principal comes from, first match wins:
 *
 * <ol>
 *   <li>an {@code authorization: Bearer <token>} header, when a token authenticator is configured:
 *       the token's principal. A token that is present but unknown fails the call even if a valid
 *       client certificate is present too (no silent fallback: a client that sends a token means
 *       to act as that token's principal);</li>
 *   <li>the verified client certificate of the connection, when certificates name principals
 *       ({@link ClientCertPrincipal} other than OFF);</li>
 *   <li>otherwise the call fails.</li>
 * </ol>
 *
 * Failures close the call with UNAUTHENTICATED; a missing, malformed or unknown token gives the
 * same message whatever the reason, so a caller cannot tell a wrong token from a missing one. The
 * authenticator writes token failures to the audit log, this class certificate failures.
 *
 * <p>The standard health service is exempt: orchestrators probe it without credentials, and it
 * says nothing but SERVING / NOT_SERVING.
 */
public final class AuthInterceptor implements ServerInterceptor {
    private static final Logger AUDIT = LoggerFactory.getLogger("gmq.audit");
    private static final String HEALTH_SERVICE = HealthGrpc.SERVICE_NAME;

    private final Authenticator authenticator;
    private final ClientCertPrincipal certificates;

    /** Token authentication only. */
    public AuthInterceptor(Authenticator authenticator) {
        this(authenticator, ClientCertPrincipal.OFF);
    }

    /**
     * @param authenticator the token authenticator, or null if tokens are not used
     * @param certificates how client certificates name principals; OFF if they do not
     */
    public AuthInterceptor(Authenticator authenticator, ClientCertPrincipal certificates) {
        if (authenticator == null && certificates == ClientCertPrincipal.OFF) {
            throw new IllegalArgumentException("nothing to authenticate with: no tokens and no certificate principals");
        }
        this.authenticator = authenticator;
        this.certificates = certificates;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (HEALTH_SERVICE.equals(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        String token = authenticator == null ? null : bearerToken(headers.get(ChannelSecurity.AUTHORIZATION));
        Principal principal;
        try {
            if (token != null || certificates == ClientCertPrincipal.OFF) {
                principal = authenticator.authenticate(token);
            } else {
                principal = certificatePrincipal(call);
            }
        } catch (GmqException e) {
            Status status = e.code() == ErrorCode.UNAUTHENTICATED
                    ? Status.UNAUTHENTICATED.withDescription(e.getMessage())
                    : Status.INTERNAL.withDescription("authentication failed: " + e.getMessage());
            call.close(status, new Metadata());
            return new ServerCall.Listener<>() {};
        }
        Context ctx = Context.current().withValue(SecurityContext.PRINCIPAL, principal);
        if (token != null) {
            ctx = ctx.withValue(SecurityContext.TOKEN_DIGEST, StaticTokenAuthenticator.tokenDigest(token));
        }
        return Contexts.interceptCall(ctx, call, headers, next);
    }

    private Principal certificatePrincipal(ServerCall<?, ?> call) {
        SSLSession tls = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        Certificate[] chain = null;
        if (tls != null) {
            try {
                chain = tls.getPeerCertificates();
            } catch (SSLPeerUnverifiedException e) {
                chain = null;
            }
        }
        if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            AUDIT.info("authentication failed: no token and no client certificate");
            throw new GmqException(
                    ErrorCode.UNAUTHENTICATED, "no token and no client certificate: present a certificate or a token");
        }
        try {
            return certificates.principalOf(leaf);
        } catch (GmqException e) {
            AUDIT.info("authentication failed: {}", e.getMessage());
            throw new GmqException(ErrorCode.UNAUTHENTICATED, e.getMessage());
        }
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
