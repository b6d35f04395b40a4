package io.gmq.net.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.security.Principal;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a client certificate's subject becomes a principal name. */
final class ClientCertPrincipalTest {
    @TempDir
    static Path dir;

    static TestPki ca;

    @BeforeAll
    static void createCa() throws Exception {
        ca = TestPki.create(dir, "mapping");
    }

    private static X509Certificate cert(String file, String subject) throws Exception {
        TestPki.Issued issued = ca.clientWithSubject(file, subject);
        try (InputStream in = Files.newInputStream(issued.cert())) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    @Test
    void dnMappingIsTheRfc2253SubjectWithMostSpecificRdnFirst() throws Exception {
        X509Certificate c = cert("dn", "CN=alice,OU=payments,O=Acme");
        assertEquals(new Principal("CN=alice,OU=payments,O=Acme"), ClientCertPrincipal.DN.principalOf(c));
    }

    @Test
    void cnMappingTakesTheCommonNameAlone() throws Exception {
        X509Certificate c = cert("cn", "CN=alice,OU=payments,O=Acme");
        assertEquals(new Principal("alice"), ClientCertPrincipal.CN.principalOf(c));
    }

    @Test
    void whitespaceAndWildcardAreHexEscapedSoTheNameFitsAnAclLine() throws Exception {
        X509Certificate c = cert("spaces", "CN=svc*,O=Acme Corp");
        assertEquals(new Principal("CN=svc\\2A,O=Acme\\20Corp"), ClientCertPrincipal.DN.principalOf(c));
        assertEquals(new Principal("svc\\2A"), ClientCertPrincipal.CN.principalOf(c));
    }

    @Test
    void cnMappingOfASubjectWithoutCnIsUnauthenticated() throws Exception {
        X509Certificate c = cert("nocn", "OU=payments,O=Acme");
        GmqException e = assertThrows(GmqException.class, () -> ClientCertPrincipal.CN.principalOf(c));
        assertEquals(ErrorCode.UNAUTHENTICATED, e.code());
        assertTrue(e.getMessage().contains("no CN"), e.getMessage());
    }

    @Test
    void mappingNamesParseCaseInsensitivelyAndUnknownOnesAreRefused() {
        assertEquals(ClientCertPrincipal.CN, ClientCertPrincipal.parse("cn"));
        assertEquals(ClientCertPrincipal.DN, ClientCertPrincipal.parse("DN"));
        assertEquals(ClientCertPrincipal.OFF, ClientCertPrincipal.parse("off"));
        GmqException e = assertThrows(GmqException.class, () -> ClientCertPrincipal.parse("san"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    }
}
