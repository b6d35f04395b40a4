package io.gmq.security;

/** Whether a matching ACL entry grants or forbids. A matching DENY always wins over any ALLOW. */
public enum Permission {
    ALLOW,
    DENY
}
