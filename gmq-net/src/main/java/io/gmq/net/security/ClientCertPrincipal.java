package io.gmq.net.security;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.security.Principal;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * How a verified client certificate (mutual TLS) names a {@link Principal}: a simple form of
 * Kafka's {@code ssl.principal.mapping.rules}.
 *
 * <ul>
 *   <li>{@link #DN}: the full subject distinguished name in RFC 2253 form, as Kafka's default
 *       principal builder writes it: {@code CN=alice,OU=payments,O=Acme}.</li>
 *   <li>{@link #CN}: the subject's common name alone: {@code alice} (the most specific CN if
 *       there are several).</li>
 *   <li>{@link #OFF}: a certificate authenticates the connection only; every call needs a
 *       token.</li>
 * </ul>
 *
 * A principal name cannot hold whitespace or {@code *} (token and ACL files are whitespace
 * separated, {@code *} is the ACL wildcard), so those characters are written as RFC 4514 hex escapes
 * of their UTF-8 bytes: {@code O=Acme Corp} becomes {@code O=Acme\20Corp}, which is still a valid DN.
 */
public enum ClientCertPrincipal {
    OFF,
    DN,
    CN;

    /** Parses a command-line value ({@code dn}, {@code cn}, {@code off}, any case). */
    public static ClientCertPrincipal parse(String value) {
        try {
            return valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw GmqException.invalidArgument(
                    "unknown client certificate principal mapping '" + value + "', expected one of: dn, cn, off");
        }
    }

    /**
     * The principal {@code cert} (already verified by the TLS handshake) names under this mapping.
     *
     * @throws GmqException UNAUTHENTICATED if the certificate has no usable name (no CN for
     *     {@link #CN}, an empty subject) or the mapping is {@link #OFF}
     */
    public Principal principalOf(X509Certificate cert) {
        String dn = cert.getSubjectX500Principal().getName(X500Principal.RFC2253);
        String name = switch (this) {
            case DN -> dn;
            case CN -> commonName(dn);
            case OFF -> throw new IllegalStateException("certificates name no principal with mapping OFF");
        };
        if (name.isEmpty()) {
            throw new GmqException(
                    ErrorCode.UNAUTHENTICATED,
                    "the client certificate has an empty subject; issue it with a subject such as CN=<principal>");
        }
        return new Principal(escape(name));
    }

    private static String commonName(String dn) {
        List<Rdn> rdns;
        try {
            rdns = new LdapName(dn).getRdns(); // index 0 is the rightmost (least specific) RDN
        } catch (InvalidNameException e) {
            throw new GmqException(
                    ErrorCode.UNAUTHENTICATED, "cannot parse the client certificate subject '" + dn + "'");
        }
        for (int i = rdns.size() - 1; i >= 0; i--) {
            Rdn rdn = rdns.get(i);
            if (rdn.getType().equalsIgnoreCase("CN") && rdn.getValue() instanceof String value) {
                return value;
            }
        }
        throw new GmqException(
                ErrorCode.UNAUTHENTICATED,
                "the client certificate subject '" + dn + "' has no CN; the server maps certificates to principals by"
                        + " CN (--tls-client-principal cn): issue it with CN=<principal> or use dn");
    }

    /** Whitespace and '*' as \XX escapes of their UTF-8 bytes; every other character unchanged. */
    static String escape(String name) {
        StringBuilder b = new StringBuilder(name.length());
        name.codePoints().forEach(cp -> {
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == '*') {
                for (byte octet : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    b.append('\\').append(String.format(Locale.ROOT, "%02X", octet & 0xFF));
                }
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }
}
