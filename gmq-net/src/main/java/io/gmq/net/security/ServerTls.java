package io.gmq.net.security;

import io.gmq.GmqException;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import java.nio.file.Path;

/**
 * TLS of one listener, from PEM files.
 *
 * @param certFile the server's certificate chain (PEM)
 * @param keyFile its private key (PEM, PKCS#8 "BEGIN PRIVATE KEY")
 * @param clientCaFile if not null, mutual TLS is REQUIRED: clients must present a certificate that
 *     chains to these CA certificates (PEM), or the handshake fails
 * @param clientPrincipal with mutual TLS, how a client certificate names a principal; null for the
 *     default, decided by {@link ServerSecurity}: {@link ClientCertPrincipal#DN} when the listener
 *     has no token file, {@link ClientCertPrincipal#OFF} (tokens required, as before certificates
 *     could name principals) when it has one
 */
public record ServerTls(Path certFile, Path keyFile, Path clientCaFile, ClientCertPrincipal clientPrincipal) {

    public ServerTls {
        if (certFile == null || keyFile == null) {
            throw GmqException.invalidArgument("TLS needs both --tls-cert and --tls-key");
        }
        if (clientCaFile == null && clientPrincipal != null && clientPrincipal != ClientCertPrincipal.OFF) {
            throw GmqException.invalidArgument(
                    "client certificates can name principals only with mutual TLS: give --tls-client-ca too");
        }
    }

    /** TLS with the default client certificate mapping. */
    public ServerTls(Path certFile, Path keyFile, Path clientCaFile) {
        this(certFile, keyFile, clientCaFile, null);
    }

    public ServerTls withClientPrincipal(ClientCertPrincipal mapping) {
        return new ServerTls(certFile, keyFile, clientCaFile, mapping);
    }

    /**
     * Plaintext credentials when {@code tls} is null, TLS (or mutual TLS) otherwise. These do not
     * follow file changes on their own; {@link ReloadingServerTls} does when a watcher reloads it.
     */
    static ServerCredentials credentials(ServerTls tls) {
        return tls == null
                ? InsecureServerCredentials.create()
                : ReloadingServerTls.load(tls).credentials();
    }

    public boolean mutual() {
        return clientCaFile != null;
    }
}
