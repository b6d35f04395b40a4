package io.gmq.security;

/**
 * What a principal wants to do to a resource. Operations do not imply each other (PUBLISH does not
 * grant DESCRIBE), except that an entry with {@link #ALL} matches every operation.
 */
public enum Operation {
    PUBLISH,
    CONSUME,
    CREATE,
    DESCRIBE,
    DELETE,
    ADMIN,
    /** Only meaningful in an ACL entry: matches every operation. */
    ALL
}
