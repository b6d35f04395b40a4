package io.gmq.wire;

import io.gmq.GmqException;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.InsecureChannelCredentials;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Path;

/**
 * How a GMQ channel (client to broker, broker to storage) secures itself: transport credentials
 * (plaintext, TLS with a CA file, or mutual TLS with a client certificate) and an optional bearer
 * token sent as {@code authorization: Bearer <token>} on every call.
 *
 * <p>The token is added by a plain interceptor rather than {@code CallCredentials}: gRPC refuses
 * call credentials on plaintext channels, and a loopback deployment may legitimately use a token
 * without TLS. Over a network, a token without TLS can be sniffed; docs/SECURITY.md says so.
 *
 * @param caFile PEM CA certificate(s) that the server certificate must chain to; null for plaintext
 * @param certFile PEM client certificate chain for mutual TLS; null for none
 * @param keyFile PEM PKCS#8 private key of {@code certFile}; null for none
 * @param token bearer token; null for none
 */
public record ChannelSecurity(Path caFile, Path certFile, Path keyFile, String token) {
    /** The metadata key of the bearer token (gRPC lower-cases header names). */
    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    public static final String BEARER_PREFIX = "Bearer ";

    /** Plaintext, no token. */
    public static final ChannelSecurity PLAINTEXT = new ChannelSecurity(null, null, null, null);

    public ChannelSecurity {
        if ((certFile == null) != (keyFile == null)) {
            throw GmqException.invalidArgument("a client certificate needs both its certificate file and its key file");
        }
        if (certFile != null && caFile == null) {
            throw GmqException.invalidArgument("a client certificate (mutual TLS) needs TLS: also give the CA file");
        }
        if (token != null && (token.isEmpty() || token.chars().anyMatch(c -> c < 0x21 || c > 0x7e))) {
            throw GmqException.invalidArgument("a token must be non-empty printable ASCII without spaces");
        }
    }

    public boolean tls() {
        return caFile != null;
    }

    /** The transport credentials: TLS (optionally with a client certificate) or plaintext. */
    public ChannelCredentials credentials() {
        if (caFile == null) {
            return InsecureChannelCredentials.create();
        }
        try {
            TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(caFile.toFile());
            if (certFile != null) {
                b.keyManager(certFile.toFile(), keyFile.toFile());
            }
            return b.build();
        } catch (IOException e) {
            throw GmqException.invalidArgument("cannot read TLS files (ca " + caFile + ", cert " + certFile + ", key "
                    + keyFile + "): " + e.getMessage());
        }
    }

    /** An interceptor that sends the token on every call; a no-op when there is no token. */
    public ClientInterceptor tokenInterceptor() {
        String value = token == null ? null : BEARER_PREFIX + token;
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(
                    MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                ClientCall<Q, R> call = next.newCall(method, options);
                if (value == null) {
                    return call;
                }
                return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        headers.put(AUTHORIZATION, value);
                        super.start(listener, headers);
                    }
                };
            }
        };
    }

    @Override
    public String toString() {
        // Never print the token.
        return "ChannelSecurity[tls=" + tls() + ", clientCert=" + (certFile != null) + ", token=" + (token != null)
                + "]";
    }
}
