package io.gmq.security;

import io.gmq.GmqException;

/**
 * An authenticated identity. Names are what ACL entries refer to; {@code *} is reserved for the
 * wildcard of {@link AclEntry} (so no name contains it) and whitespace would break the token and ACL
 * file formats.
 */
public record Principal(String name) {

    public Principal {
        if (name == null
                || name.isEmpty()
                || name.contains(AclEntry.ANY_PRINCIPAL)
                || name.chars().anyMatch(Character::isWhitespace)) {
            throw GmqException.invalidArgument("principal name '" + name
                    + "' is invalid: it must be non-empty, without whitespace and without '*'");
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
