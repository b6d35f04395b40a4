package io.gmq.security;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import java.util.Collection;
import java.util.Locale;

/**
 * Decides whether a principal may do an operation on a resource. Implementations are immutable and
 * thread-safe.
 *
 * <p>With ACLs ({@link #fromAcls}): a request is allowed only if some entry allows it and no entry
 * denies it. No matching entry means denied (default deny): turning authentication on without
 * writing ACLs locks everyone out rather than letting everyone in. With security off, use
 * {@link #allowAll()}.
 */
public interface Authorizer {

    /**
     * @param name the topic or group name; for {@link ResourceType#CLUSTER} any fixed name the caller
     *     chooses (ACL files match the cluster with an empty prefix)
     * @param operation a concrete operation; {@link Operation#ALL} is for ACL entries, not requests
     */
    boolean allowed(Principal principal, ResourceType type, String name, Operation operation);

    /**
     * Like {@link #allowed} but throws {@link ErrorCode#PERMISSION_DENIED} with a message such as
     * "principal 'alice' may not PUBLISH to topic 'orders'".
     */
    default void check(Principal principal, ResourceType type, String name, Operation operation) {
        if (!allowed(principal, type, name, operation)) {
            throw new GmqException(ErrorCode.PERMISSION_DENIED, deniedMessage(principal, type, name, operation));
        }
    }

    /** For a deployment with security off: everything is allowed. */
    static Authorizer allowAll() {
        return (principal, type, name, operation) -> true;
    }

    /** Deny-wins, default-deny evaluation of these entries; denials are written to the audit log. */
    static Authorizer fromAcls(Collection<AclEntry> entries) {
        return new AclAuthorizer(entries);
    }

    private static String deniedMessage(Principal principal, ResourceType type, String name, Operation operation) {
        String preposition = switch (operation) {
            case PUBLISH -> " to ";
            case CONSUME -> " from ";
            default -> " on ";
        };
        String resource = type.name().toLowerCase(Locale.ROOT);
        return "principal '" + principal.name() + "' may not " + operation + preposition + resource + " '" + name
                + "'; ask an administrator to add an ACL line such as 'allow " + principal.name() + " " + resource
                + ":" + name + " " + operation.name().toLowerCase(Locale.ROOT) + "'";
    }
}
