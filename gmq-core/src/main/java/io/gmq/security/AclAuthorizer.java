package io.gmq.security;

import java.util.Collection;
import java.util.List;

/**
 * Evaluates ACL entries: deny wins over allow, and no match means deny. A linear scan: ACL lists
 * are short (tens of lines) and evaluated once per stream or admin call, not per message.
 */
final class AclAuthorizer implements Authorizer {
    private final List<AclEntry> entries;

    AclAuthorizer(Collection<AclEntry> entries) {
        this.entries = List.copyOf(entries);
    }

    @Override
    public boolean allowed(Principal principal, ResourceType type, String name, Operation operation) {
        if (operation == Operation.ALL) {
            throw new IllegalArgumentException("ALL is an ACL wildcard, not an operation a request can ask for");
        }
        boolean allowedByAny = false;
        for (AclEntry entry : entries) {
            if (!entry.matches(principal, type, name, operation)) {
                continue;
            }
            if (entry.permission() == Permission.DENY) {
                Audit.denied(principal, type, name, operation, "denied by " + entry);
                return false;
            }
            allowedByAny = true;
        }
        if (!allowedByAny) {
            Audit.denied(principal, type, name, operation, "no ACL entry allows it");
        }
        return allowedByAny;
    }
}
