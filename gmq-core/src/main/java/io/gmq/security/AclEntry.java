package io.gmq.security;

import io.gmq.GmqException;
import java.util.Objects;

/**
 * One access rule: {@code permission} for {@code principal} to do {@code operation} on resources of
 * {@code resourceType} whose name matches {@code resourceName} under {@code patternType}.
 *
 * @param principal a principal name, or {@value #ANY_PRINCIPAL} for every authenticated principal
 */
public record AclEntry(
        String principal,
        ResourceType resourceType,
        PatternType patternType,
        String resourceName,
        Operation operation,
        Permission permission) {

    /** The wildcard principal. */
    public static final String ANY_PRINCIPAL = "*";

    public AclEntry {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(resourceType, "resourceType");
        Objects.requireNonNull(patternType, "patternType");
        Objects.requireNonNull(resourceName, "resourceName");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(permission, "permission");
        if (!principal.equals(ANY_PRINCIPAL)) {
            new Principal(principal); // validates the name
        }
        if (patternType == PatternType.LITERAL && resourceName.isEmpty()) {
            throw GmqException.invalidArgument(
                    "a LITERAL ACL entry needs a resource name; use PREFIXED with an empty name to match every "
                            + resourceType.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** True if this entry speaks about this request (whether it allows or denies it). */
    public boolean matches(Principal who, ResourceType type, String name, Operation op) {
        return (principal.equals(ANY_PRINCIPAL) || principal.equals(who.name()))
                && resourceType == type
                && (operation == Operation.ALL || operation == op)
                && (patternType == PatternType.LITERAL ? resourceName.equals(name) : name.startsWith(resourceName));
    }
}
