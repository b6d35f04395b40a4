package io.gmq.net.security;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away PKI for TLS tests, written as PEM files into a directory: a CA, a server
 * certificate for 127.0.0.1 and localhost, and client certificates, all signed by the CA; and a
 * second, unrelated CA for "wrong CA" cases. EC P-256 keys: quick to generate.
 */
final class TestPki {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** PEM files of one issued certificate. */
    record Issued(Path cert, Path key) {}

    private final Path dir;
    private final KeyPair caKeys;
    private final X509Certificate caCert;
    final Path caFile;

    private TestPki(Path dir, String caName) throws Exception {
        this.dir = dir;
        this.caKeys = keyPair();
        X500Name name = new X500Name("CN=" + caName);
        X509v3CertificateBuilder b = builder(name, name, caKeys)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        this.caCert = sign(b, caKeys);
        this.caFile = writeCert(caName + "-ca.pem", caCert);
    }

    /** A new CA named {@code caName} writing into {@code dir}. */
    static TestPki create(Path dir, String caName) throws Exception {
        return new TestPki(dir, caName);
    }

    /** A server certificate valid for 127.0.0.1 and localhost. */
    Issued server(String name) throws Exception {
        GeneralNames sans = new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")
        });
        return issue(name, KeyPurposeId.id_kp_serverAuth, sans);
    }

    /** A client certificate (for mutual TLS). */
    Issued client(String name) throws Exception {
        return issue(name, KeyPurposeId.id_kp_clientAuth, null);
    }

    /**
     * A client certificate with subject {@code subjectDn}, written as {@code fileName}.pem. The DN is
     * read as RFC 2253 (most specific RDN first, as Java and Kafka print it); BouncyCastle's own
     * string parser would keep the written order as the encoding order, which reverses it.
     */
    Issued clientWithSubject(String fileName, String subjectDn) throws Exception {
        X500Name subject = X500Name.getInstance(new X500Principal(subjectDn).getEncoded());
        return issue(fileName, subject, KeyPurposeId.id_kp_clientAuth, null);
    }

    private Issued issue(String name, KeyPurposeId purpose, GeneralNames sans) throws Exception {
        return issue(name, new X500Name("CN=" + name), purpose, sans);
    }

    private Issued issue(String name, X500Name subject, KeyPurposeId purpose, GeneralNames sans) throws Exception {
        KeyPair keys = keyPair();
        X509v3CertificateBuilder b = builder(
                        new X500Name(caCert.getSubjectX500Principal().getName()), subject, keys)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
        if (sans != null) {
            b.addExtension(Extension.subjectAlternativeName, false, sans);
        }
        X509Certificate cert = sign(b, caKeys);
        Path certFile = writeCert(name + ".pem", cert);
        Path keyFile =
                writePem(name + "-key.pem", "PRIVATE KEY", keys.getPrivate().getEncoded());
        return new Issued(certFile, keyFile);
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(
                issuer,
                BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(1))),
                subject,
                keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair issuerKeys)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private Path writeCert(String file, X509Certificate cert) throws Exception {
        return writePem(file, "CERTIFICATE", cert.getEncoded());
    }

    private Path writePem(String file, String type, byte[] der) throws IOException {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der);
        Path p = dir.resolve(file);
        Files.writeString(
                p,
                "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n",
                StandardCharsets.US_ASCII);
        return p;
    }
}
