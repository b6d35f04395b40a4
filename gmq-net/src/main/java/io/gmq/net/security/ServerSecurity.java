package io.gmq.net.security;

import io.gmq.GmqException;
import io.gmq.security.Authenticator;
import io.gmq.security.Authorizer;
import io.gmq.security.ByteRateQuotas;
import io.gmq.security.Reloadable;
import io.gmq.storage.Storage;
import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything that protects one GMQ listener, validated once here.
 *
 * <p>Connection limits act first, at accept ({@link ListenerTransport}): a connection over a limit
 * is closed before its TLS handshake, and its client sees UNAVAILABLE. Then TLS and the message,
 * metadata and stream limits act in the transport. Order of checks on every call (first failing
 * one answers): authentication by token or client certificate (UNAUTHENTICATED), the storage gate
 * (PERMISSION_DENIED), then the service, whose {@link BrokerAccess} checks each request against
 * the ACLs.
 *
 * <p>An authenticator or authorizer that is {@link Reloadable} (the token and ACL files of
 * {@code gmq.jar}) is re-read by the server every {@code reloadInterval} while it runs.
 *
 * @param tls TLS of the listener, null for plaintext; with mutual TLS its client principal mapping
 *     is resolved here (see {@link ServerTls#clientPrincipal()})
 * @param authenticator bearer-token authentication, null for none
 * @param authorizer ACLs, null for none; requires principals: an authenticator or client
 *     certificates that name principals
 * @param limits connection and call limits
 * @param reloadInterval how often reloadable token and ACL files are checked for changes;
 *     {@link Duration#ZERO} = never (only an explicit reload)
 */
public record ServerSecurity(
        ServerTls tls,
        Authenticator authenticator,
        Authorizer authorizer,
        NetLimits limits,
        Duration reloadInterval,
        ByteRateQuotas quotas) {
    /** How often token and ACL files are checked for changes unless told otherwise. */
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(5);

    public ServerSecurity {
        if (tls != null && tls.mutual() && tls.clientPrincipal() == null) {
            // The default keeps "token file + mutual TLS" meaning "both required", as it did before
            // certificates could name principals; without tokens the certificate is the identity.
            tls = tls.withClientPrincipal(authenticator == null ? ClientCertPrincipal.DN : ClientCertPrincipal.OFF);
        }
        if (authorizer != null && authenticator == null && !certificatesNamePrincipals(tls)) {
            throw GmqException.invalidArgument("ACLs need to know who is asking: give --token-file, or mutual TLS"
                    + " (--tls-client-ca) with client certificates as principals, together with --acl-file");
        }
        if (limits == null) {
            throw GmqException.invalidArgument("limits must be set; use NetLimits.defaults()");
        }
        if (reloadInterval == null || reloadInterval.isNegative()) {
            throw GmqException.invalidArgument(
                    "the reload interval must be 0 (off) or positive, was " + reloadInterval);
        }
    }

    /** Security without quotas. */
    public ServerSecurity(
            ServerTls tls,
            Authenticator authenticator,
            Authorizer authorizer,
            NetLimits limits,
            Duration reloadInterval) {
        this(tls, authenticator, authorizer, limits, reloadInterval, null);
    }

    /** These settings with per-principal byte rates ({@code null}: none). */
    public ServerSecurity withQuotas(ByteRateQuotas q) {
        return new ServerSecurity(tls, authenticator, authorizer, limits, reloadInterval, q);
    }

    /** Security with the default reload interval. */
    public ServerSecurity(ServerTls tls, Authenticator authenticator, Authorizer authorizer, NetLimits limits) {
        this(tls, authenticator, authorizer, limits, DEFAULT_RELOAD_INTERVAL);
    }

    /** Plaintext, no authentication, no ACLs, default limits. */
    public static ServerSecurity none() {
        return new ServerSecurity(null, null, null, NetLimits.defaults());
    }

    public ServerSecurity withLimits(NetLimits newLimits) {
        return new ServerSecurity(tls, authenticator, authorizer, newLimits, reloadInterval, quotas);
    }

    public ServerSecurity withReloadInterval(Duration interval) {
        return new ServerSecurity(tls, authenticator, authorizer, limits, interval, quotas);
    }

    /** How client certificates name principals on this listener (OFF without mutual TLS). */
    public ClientCertPrincipal clientPrincipal() {
        return certificatesNamePrincipals(tls) ? tls.clientPrincipal() : ClientCertPrincipal.OFF;
    }

    /** The token and ACL settings that can be re-read while the server runs. */
    public List<Reloadable> reloadables() {
        List<Reloadable> r = new ArrayList<>(2);
        if (authenticator instanceof Reloadable a) {
            r.add(a);
        }
        if (authorizer instanceof Reloadable a) {
            r.add(a);
        }
        if (quotas != null && quotas.file() != null) {
            r.add(quotas);
        }
        return List.copyOf(r);
    }

    private static boolean certificatesNamePrincipals(ServerTls tls) {
        return tls != null
                && tls.mutual()
                && tls.clientPrincipal() != null
                && tls.clientPrincipal() != ClientCertPrincipal.OFF;
    }

    /** The broker's request checks: enforcing when ACLs are configured, allow-all otherwise. */
    public BrokerAccess brokerAccess(Storage storage) {
        BrokerAccess access =
                authorizer == null ? BrokerAccess.allowAll() : BrokerAccess.enforcing(authorizer, storage);
        return access.withQuotas(quotas);
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
        return serverBuilder(address, maxInboundMessageBytes, transport, ServerTls.credentials(tls));
    }

    /**
     * Like {@link #serverBuilder(InetSocketAddress, int, ListenerTransport)} with the transport
     * credentials given, e.g. those of a {@link ReloadingServerTls} for {@link #tls()} that the
     * caller reloads.
     */
    public NettyServerBuilder serverBuilder(
            InetSocketAddress address,
            int maxInboundMessageBytes,
            ListenerTransport transport,
            ServerCredentials credentials) {
        NettyServerBuilder b =
                NettyServerBuilder.forAddress(address, credentials).maxInboundMessageSize(maxInboundMessageBytes);
        limits.applyTo(b);
        transport.applyTo(b);
        // ServerBuilder.intercept: the interceptor added last runs first.
        if (authorizer != null) {
            b.intercept(new StorageGate(authorizer));
        }
        if (authenticator != null || clientPrincipal() != ClientCertPrincipal.OFF) {
            b.intercept(new AuthInterceptor(authenticator, clientPrincipal()));
        }
        return b;
    }

    @Override
    public String toString() {
        return "tls=" + (tls == null ? "off" : tls.mutual() ? "mutual" : "on")
                + ", authentication=" + authentication()
                + ", acls=" + (authorizer == null ? "off" : "on")
                + ", quotas=" + (quotas == null ? "off" : "on")
                + (reloadInterval.isZero()
                        ? ", file reload on request only"
                        : ", files checked every " + reloadInterval.toMillis() + " ms")
                + ", " + limits;
    }

    private String authentication() {
        String certs = clientPrincipal() == ClientCertPrincipal.OFF
                ? null
                : "certificate(" + clientPrincipal().name().toLowerCase(java.util.Locale.ROOT) + ")";
        if (authenticator == null) {
            return certs == null ? "off" : certs;
        }
        return certs == null ? "token" : "token, else " + certs;
    }
}
