package io.gmq.net.security;

import io.gmq.GmqException;
import io.gmq.security.Reloadable;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.CertificateUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key material of one TLS listener, re-read from its PEM files when they change: the server
 * certificate chain and key, and with mutual TLS the client CA. New handshakes use the new files;
 * connections already established keep the session they negotiated.
 *
 * <p>Built on grpc-java's {@link AdvancedTlsX509KeyManager} and {@link AdvancedTlsX509TrustManager},
 * whose contents can be swapped under a running server. A reload parses every file first and
 * applies nothing unless all parse and the key belongs to the certificate: an operator who
 * replaces the certificate a moment before the key sees one logged error, then the pair applied
 * on the next check, never a listener serving a certificate it cannot sign for.
 */
public final class ReloadingServerTls implements Reloadable {
    private static final Logger LOG = LoggerFactory.getLogger(ReloadingServerTls.class);
    private static final byte[] KEY_PROBE = "gmq key/certificate match".getBytes(StandardCharsets.US_ASCII);

    private record Material(X509Certificate[] chain, PrivateKey key, X509Certificate[] clientCas) {}

    private final ServerTls tls;
    private final AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
    private final AdvancedTlsX509TrustManager clientCas;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private byte[] appliedHash;
    private byte[] rejectedHash;

    private ReloadingServerTls(ServerTls tls, AdvancedTlsX509TrustManager clientCas) {
        this.tls = tls;
        this.clientCas = clientCas;
    }

    /** Reads the files of {@code tls} now; unreadable or mismatched files fail here (at start). */
    public static ReloadingServerTls load(ServerTls tls) {
        AdvancedTlsX509TrustManager trust = null;
        if (tls.mutual()) {
            try {
                trust = AdvancedTlsX509TrustManager.newBuilder()
                        .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
                        .build();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JVM cannot build an X.509 trust manager", e);
            }
        }
        ReloadingServerTls r = new ReloadingServerTls(tls, trust);
        r.reloadIfChanged();
        return r;
    }

    /** Credentials for a server builder; they follow later reloads. */
    public ServerCredentials credentials() {
        TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(keys);
        if (clientCas != null) {
            b.trustManager(clientCas).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
        }
        return b.build();
    }

    @Override
    public Path file() {
        return tls.certFile();
    }

    @Override
    public synchronized boolean reloadIfChanged() {
        byte[] hash = null;
        try {
            byte[] cert = read(tls.certFile());
            byte[] key = read(tls.keyFile());
            byte[] ca = tls.mutual() ? read(tls.clientCaFile()) : new byte[0];
            hash = sha256(cert, key, ca);
            if (Arrays.equals(hash, appliedHash)) {
                rejectedHash = null;
                return false;
            }
            Material m = parse(cert, key, ca);
            keys.updateIdentityCredentials(m.chain(), m.key());
            if (clientCas != null) {
                clientCas.updateTrustCredentials(m.clientCas());
            }
        } catch (GmqException e) {
            if (appliedHash == null) {
                throw e; // first load: the server must not start
            }
            if (hash == null || !Arrays.equals(hash, rejectedHash)) {
                LOG.error("TLS files not reloaded, the previous ones stay in force: {}", e.getMessage());
            }
            rejectedHash = hash;
            throw e;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("updating the in-memory TLS key material failed", e);
        }
        boolean first = appliedHash == null;
        appliedHash = hash;
        rejectedHash = null;
        if (!first) {
            LOG.info(
                    "TLS files reloaded (certificate {}, key {}, client CA {})",
                    tls.certFile(),
                    tls.keyFile(),
                    tls.clientCaFile());
            for (Runnable l : listeners) {
                try {
                    l.run();
                } catch (RuntimeException e) {
                    LOG.error("a listener of the TLS files failed after the reload", e);
                }
            }
        }
        return !first;
    }

    @Override
    public Registration onReload(Runnable listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private Material parse(byte[] cert, byte[] key, byte[] ca) {
        try {
            X509Certificate[] chain = CertificateUtils.getX509Certificates(new ByteArrayInputStream(cert));
            if (chain.length == 0) {
                throw new IllegalArgumentException("no certificate in " + tls.certFile());
            }
            PrivateKey privateKey = CertificateUtils.getPrivateKey(new ByteArrayInputStream(key));
            requireMatchingKey(chain[0], privateKey);
            X509Certificate[] cas = new X509Certificate[0];
            if (tls.mutual()) {
                cas = CertificateUtils.getX509Certificates(new ByteArrayInputStream(ca));
                if (cas.length == 0) {
                    throw new IllegalArgumentException("no certificate in client CA file " + tls.clientCaFile());
                }
            }
            return new Material(chain, privateKey, cas);
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw GmqException.invalidArgument("cannot load TLS files (cert " + tls.certFile() + ", key "
                    + tls.keyFile() + ", client CA " + tls.clientCaFile() + "): " + e.getMessage()
                    + "; keys must be PKCS#8 PEM ('BEGIN PRIVATE KEY')");
        }
    }

    /** Signs a probe with the key and verifies it with the certificate's public key. */
    private void requireMatchingKey(X509Certificate cert, PrivateKey key) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null; // unusual key type: the handshake will tell
        };
        if (algorithm == null) {
            return;
        }
        boolean matches;
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(KEY_PROBE);
            byte[] signature = s.sign();
            s.initVerify(cert.getPublicKey());
            s.update(KEY_PROBE);
            matches = s.verify(signature);
        } catch (java.security.InvalidKeyException | java.security.SignatureException e) {
            matches = false;
        }
        if (!matches) {
            throw new IllegalArgumentException(
                    "the key in " + tls.keyFile() + " does not belong to the certificate in " + tls.certFile());
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw GmqException.invalidArgument("cannot read TLS file " + file + ": " + e);
        }
    }

    private static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                d.update(Integer.toString(p.length).getBytes(StandardCharsets.US_ASCII)); // no ambiguity across files
                d.update((byte) ':');
                d.update(p);
            }
            return d.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }
}
