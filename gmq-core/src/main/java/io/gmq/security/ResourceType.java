package io.gmq.security;

/** What an ACL entry protects. A {@code CLUSTER} resource stands for the whole deployment (admin calls). */
public enum ResourceType {
    TOPIC,
    GROUP,
    CLUSTER
}
