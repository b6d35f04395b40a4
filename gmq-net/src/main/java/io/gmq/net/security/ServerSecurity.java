package io.gmq.net.security;

import io.gmq.GmqException;
import io.gmq.security.Authenticator;
import io.gmq.security.Authorizer;
import io.gmq.storage.Storage;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;

/**
 * Everything that protects one GMQ listener, validated once here.
 *
 * <p>Connection limits act first, at accept ({@link ListenerTransport}): a connection over a limit
 * is closed before its TLS handshake, and its client sees UNAVAILABLE. Then TLS and the message,
 * metadata and stream limits act in the transport. Order of checks on every call (first failing
 * one answers): authentication (UNAUTHENTICATED), the storage gate (PERMISSION_DENIED), then the
 * service, whose {@link BrokerAccess} checks each request against the ACLs.
 *
 * @param tls TLS of the listener, null for plaintext
 * @param authenticator bearer-token authentication, null for none (every caller is anonymous)
 * @param authorizer ACLs, null for none; requires an authenticator (ACLs name principals)
 * @param limits connection and call limits
 */
public record ServerSecurity(ServerTls tls, Authenticator authenticator, Authorizer authorizer, NetLimits limits) {

    public ServerSecurity {
        if (authorizer != null && authenticator == null) {
            throw GmqException.invalidArgument(
                    "ACLs need authentication to know who is asking: give --token-file together with --acl-file");
        }
        if (limits == null) {
            throw GmqException.invalidArgument("limits must be set; use NetLimits.defaults()");
        }
    }

    /** Plaintext, no authentication, no ACLs, default limits. */
    public static ServerSecurity none() {
        return new ServerSecurity(null, null, null, NetLimits.defaults());
    }

    public ServerSecurity withLimits(NetLimits newLimits) {
        return new ServerSecurity(tls, authenticator, authorizer, newLimits);
    }

    /** The broker's request checks: enforcing when ACLs are configured, allow-all otherwise. */
    public BrokerAccess brokerAccess(Storage storage) {
        return authorizer == null ? BrokerAccess.allowAll() : BrokerAccess.enforcing(authorizer, storage);
    }

    /** Event loops and accept gate for one listener with these limits; the caller closes it. */
    public ListenerTransport newTransport() {
        return ListenerTransport.create(limits);
    }

    /**
     * A server builder for {@code address} with TLS, limits and interceptors in place, running on
     * {@code transport} (from {@link #newTransport()}; the caller
     * owns it and closes it after the server has terminated). {@code maxInboundMessageBytes} is
     * enforced from each message's length prefix, before its payload is read into memory.
     */
    public NettyServerBuilder serverBuilder(
            InetSocketAddress address, int maxInboundMessageBytes, ListenerTransport transport) {
        NettyServerBuilder b = NettyServerBuilder.forAddress(address, ServerTls.credentials(tls))
                .maxInboundMessageSize(maxInboundMessageBytes);
        limits.applyTo(b);
        transport.applyTo(b);
        // ServerBuilder.intercept: the interceptor added last runs first.
        if (authorizer != null) {
            b.intercept(new StorageGate(authorizer));
        }
        if (authenticator != null) {
            b.intercept(new AuthInterceptor(authenticator));
        }
        return b;
    }

    @Override
    public String toString() {
        return "tls=" + (tls == null ? "off" : tls.mutual() ? "mutual" : "on")
                + ", authentication=" + (authenticator == null ? "off" : "token")
                + ", acls=" + (authorizer == null ? "off" : "on") + ", " + limits;
    }
}
