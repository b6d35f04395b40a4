package io.gmq.net.security;

import io.gmq.security.Principal;
import io.grpc.Context;

/**
 * The authenticated principal of the current gRPC call. {@link AuthInterceptor} puts it into the
 * call's {@link Context}; services read it with {@link #principal()}. Without authentication every
 * caller is {@link #ANONYMOUS} (and the authorizer is allow-all, so the name never decides anything).
 */
public final class SecurityContext {
    /** The caller when authentication is off. */
    public static final Principal ANONYMOUS = new Principal("anonymous");

    static final Context.Key<Principal> PRINCIPAL = Context.key("gmq-principal");
    static final Context.Key<byte[]> TOKEN_DIGEST = Context.key("gmq-token-digest");

    private SecurityContext() {}

    /** The principal of the call this thread is serving, or {@link #ANONYMOUS}. */
    public static Principal principal() {
        Principal p = PRINCIPAL.get();
        return p == null ? ANONYMOUS : p;
    }

    /**
     * The SHA-256 digest of the bearer token that authenticated the current call, or null if no
     * token did (a client certificate, or no authentication). Long-lived streams keep it to be
     * re-checked when the token file changes; the token itself is never kept.
     */
    public static byte[] tokenDigest() {
        return TOKEN_DIGEST.get();
    }
}
