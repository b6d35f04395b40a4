package io.gmq.security;

/** How an ACL entry's resource name is matched. */
public enum PatternType {
    /** The resource name must equal the entry's name. */
    LITERAL,
    /** The resource name must start with the entry's name (an empty prefix matches every name). */
    PREFIXED
}
