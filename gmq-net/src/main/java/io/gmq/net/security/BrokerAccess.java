package io.gmq.net.security;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.security.Authorizer;
import io.gmq.security.ByteRateQuotas;
import io.gmq.security.Operation;
import io.gmq.security.Principal;
import io.gmq.security.ResourceType;
import io.gmq.storage.Storage;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The broker's authorization decisions, one method per kind of request, so the services stay a
 * line per check. Every method throws PERMISSION_DENIED (via {@link Authorizer#check}) before the
 * request changes anything; the authorizer writes denials to the audit log.
 *
 * <p>Auto-create does not bypass ACLs: a publish, subscribe or metadata call that would create its
 * topic also needs CREATE on it. The topic's existence is checked first (once per topic, then
 * remembered in {@code knownTopics}) so principals without CREATE can use existing topics.
 * {@link #topicGone} forgets a topic when it is deleted or an append finds it missing.
 * Known race: a topic deleted (through another broker) between the existence check and the
 * engine's lookup can be re-created by a principal without CREATE; the next append after the
 * delete is seen clears the memory.
 */
public final class BrokerAccess {
    /** The resource name used for cluster-wide checks (ACL files match the cluster by type alone). */
    public static final String CLUSTER_NAME = "gmq";

    private final Authorizer authorizer;
    private final Storage storage;
    private final boolean enforcing;
    /** Per-principal byte rates, or null. */
    private final ByteRateQuotas quotas;

    private final Set<String> knownTopics = ConcurrentHashMap.newKeySet();

    private BrokerAccess(Authorizer authorizer, Storage storage, boolean enforcing) {
        this(authorizer, storage, enforcing, null);
    }

    private BrokerAccess(Authorizer authorizer, Storage storage, boolean enforcing, ByteRateQuotas quotas) {
        this.authorizer = authorizer;
        this.storage = storage;
        this.enforcing = enforcing;
        this.quotas = quotas;
    }

    /** These checks, and {@code quotas} (null: none) throttling each principal's bytes. */
    public BrokerAccess withQuotas(ByteRateQuotas quotas) {
        return new BrokerAccess(authorizer, storage, enforcing, quotas);
    }

    /** How long to hold back {@code principal}'s next publish after {@code bytes} (0: not at all). */
    public long publishThrottleNanos(Principal principal, long bytes) {
        return quotas == null ? 0 : quotas.publishThrottleNanos(principal, bytes);
    }

    /** How long to hold back further deliveries to {@code principal} after {@code bytes} (0: not at all). */
    public long fetchThrottleNanos(Principal principal, long bytes) {
        return quotas == null ? 0 : quotas.fetchThrottleNanos(principal, bytes);
    }

    /** Security off: every request is allowed and nothing extra is looked up. */
    public static BrokerAccess allowAll() {
        return new BrokerAccess(Authorizer.allowAll(), null, false);
    }

    /** Enforces {@code authorizer}; {@code storage} answers whether a topic exists (auto-create checks). */
    public static BrokerAccess enforcing(Authorizer authorizer, Storage storage) {
        return new BrokerAccess(authorizer, storage, true);
    }

    public boolean isEnforcing() {
        return enforcing;
    }

    public void checkPublish(Principal p, String topic) {
        if (!enforcing) {
            return;
        }
        authorizer.check(p, ResourceType.TOPIC, topic, Operation.PUBLISH);
        requireExistsOrMayCreate(p, topic);
    }

    /** CONSUME on the group and on every topic, and CREATE on each topic the subscribe would create. */
    public void checkSubscribe(Principal p, String group, Collection<String> topics) {
        if (!enforcing) {
            return;
        }
        authorizer.check(p, ResourceType.GROUP, group, Operation.CONSUME);
        for (String t : topics) {
            authorizer.check(p, ResourceType.TOPIC, t, Operation.CONSUME);
        }
        for (String t : topics) {
            requireExistsOrMayCreate(p, t);
        }
    }

    /**
     * CONSUME on the group and on every topic, without the existence checks of
     * {@link #checkSubscribe}: whether an open subscription is still allowed after the ACLs changed.
     */
    public void checkStillMayConsume(Principal p, String group, Collection<String> topics) {
        if (!enforcing) {
            return;
        }
        authorizer.check(p, ResourceType.GROUP, group, Operation.CONSUME);
        for (String t : topics) {
            authorizer.check(p, ResourceType.TOPIC, t, Operation.CONSUME);
        }
    }

    /**
     * Topic metadata (partition count) is what producers and consumers need to work, so any of
     * DESCRIBE, PUBLISH or CONSUME grants it; with auto-create, CREATE is needed if it is missing.
     */
    public void checkTopicMetadata(Principal p, String topic, boolean autoCreate) {
        if (!enforcing) {
            return;
        }
        if (!quietlyAllowed(p, topic, Operation.PUBLISH) && !quietlyAllowed(p, topic, Operation.CONSUME)) {
            authorizer.check(p, ResourceType.TOPIC, topic, Operation.DESCRIBE);
        }
        if (autoCreate) {
            requireExistsOrMayCreate(p, topic);
        }
    }

    public void checkCreate(Principal p, String topic) {
        check(p, ResourceType.TOPIC, topic, Operation.CREATE);
    }

    /** Changing a topic's settings (retention, dead-lettering, ...): ADMIN on the topic. */
    public void checkTopicAdmin(Principal p, String topic) {
        check(p, ResourceType.TOPIC, topic, Operation.ADMIN);
    }

    public void checkDescribe(Principal p, String topic) {
        check(p, ResourceType.TOPIC, topic, Operation.DESCRIBE);
    }

    /** For listings: topics the principal may not describe are left out (each omission is audited). */
    public boolean mayDescribe(Principal p, String topic) {
        return !enforcing || authorizer.allowed(p, ResourceType.TOPIC, topic, Operation.DESCRIBE);
    }

    public void checkDelete(Principal p, String topic) {
        check(p, ResourceType.TOPIC, topic, Operation.DELETE);
    }

    public void checkDescribeGroup(Principal p, String group) {
        check(p, ResourceType.GROUP, group, Operation.DESCRIBE);
    }

    public boolean mayDescribeGroup(Principal p, String group) {
        return !enforcing || authorizer.allowed(p, ResourceType.GROUP, group, Operation.DESCRIBE);
    }

    /** Resetting a group's offsets rewrites its progress: ADMIN on the group. */
    public void checkGroupAdmin(Principal p, String group) {
        check(p, ResourceType.GROUP, group, Operation.ADMIN);
    }

    /** Deleting a group drops its progress for good: DELETE on the group. */
    public void checkDeleteGroup(Principal p, String group) {
        check(p, ResourceType.GROUP, group, Operation.DELETE);
    }

    /** Reading a partition without a group: CONSUME on the topic (no group is involved). */
    public void checkReadPartition(Principal p, String topic) {
        check(p, ResourceType.TOPIC, topic, Operation.CONSUME);
    }

    /** Adding or removing a storage node changes where every byte is kept: ADMIN on the cluster. */
    public void checkClusterAdmin(Principal p) {
        check(p, ResourceType.CLUSTER, CLUSTER_NAME, Operation.ADMIN);
    }

    /** Forget that {@code topic} exists (it was deleted, or an append found it missing). */
    public void topicGone(String topic) {
        knownTopics.remove(topic);
    }

    private void check(Principal p, ResourceType type, String name, Operation op) {
        if (enforcing) {
            authorizer.check(p, type, name, op);
        }
    }

    /**
     * One of several acceptable grants. The core authorizer audits every denial, so a principal
     * that has only DESCRIBE leaves PUBLISH/CONSUME probe denials in the audit log: noise, not
     * a hole (the call is still allowed only by a real grant).
     */
    private boolean quietlyAllowed(Principal p, String topic, Operation op) {
        return authorizer.allowed(p, ResourceType.TOPIC, topic, op);
    }

    private void requireExistsOrMayCreate(Principal p, String topic) {
        if (knownTopics.contains(topic)) {
            return;
        }
        try {
            storage.topic(topic, false);
            knownTopics.add(topic);
        } catch (GmqException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
            // Missing: the engine would create it now, which is a CREATE.
            authorizer.check(p, ResourceType.TOPIC, topic, Operation.CREATE);
        }
    }
}
