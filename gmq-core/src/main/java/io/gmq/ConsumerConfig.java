package io.gmq;

import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * One consumer: who it is (ClientID), which group it shares partitions with (ConsumerGroup), what
 * runs each message (MessageHandler) and how long it waits between fetches when idle
 * (PullInterval). Names follow the original client.
 */
public final class ConsumerConfig {
    /** Longest group instance id (as for client ids and group names). */
    public static final int MAX_INSTANCE_ID_LENGTH = 249;

    private final String clientId;
    private final String consumerGroup;
    private final MessageHandler messageHandler;
    private final Duration pullInterval;
    private final AckMode ackMode;
    private final OffsetSpec startFrom;
    private final Duration sessionTimeout;
    private final AssignmentListener assignmentListener;
    private final String groupInstanceId;
    private final Ordering ordering;
    private final RetryBackoff retryBackoff;
    private final GroupType groupType;
    private final Duration lockDuration;

    private ConsumerConfig(Builder b) {
        this.clientId = b.clientId;
        this.consumerGroup = b.consumerGroup;
        this.messageHandler = b.messageHandler;
        this.pullInterval = b.pullInterval;
        this.ackMode = b.ackMode;
        this.startFrom = b.startFrom;
        this.sessionTimeout = b.sessionTimeout;
        this.assignmentListener = b.assignmentListener;
        this.groupInstanceId = b.groupInstanceId;
        this.ordering = b.ordering;
        this.retryBackoff = b.retryBackoff;
        this.groupType = b.groupType;
        this.lockDuration = b.lockDuration;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Default: a random "gmq-consumer-..." id. */
    public String clientId() {
        return clientId;
    }

    /** Members of one group share the topic's partitions. Required. */
    public String consumerGroup() {
        return consumerGroup;
    }

    public MessageHandler messageHandler() {
        return messageHandler;
    }

    /**
     * Longest wait between fetches of an idle partition. Default 100 ms. New data wakes a waiting
     * consumer at once, so a long interval adds no latency to a busy partition.
     */
    public Duration pullInterval() {
        return pullInterval;
    }

    /** Default {@link AckMode#AUTO}. */
    public AckMode ackMode() {
        return ackMode;
    }

    /** Where a group with no committed offset for a partition starts. Default earliest. */
    public OffsetSpec startFrom() {
        return startFrom;
    }

    /** Null: the engine's default session timeout. */
    public Duration sessionTimeout() {
        return sessionTimeout;
    }

    /** Told of partitions gained and lost in rebalances. Default: nobody. */
    public AssignmentListener assignmentListener() {
        return assignmentListener;
    }

    /**
     * The static member's group instance id, or null (the default) for a dynamic member. A static
     * member keeps its partitions, unassigned to anyone else, when its session ends without a
     * leave (process killed, connection broken, or {@link Subscription#close()}, which does not
     * leave the group for a static member), until its session timeout runs out; a consumer that
     * subscribes again with the same instance id within that time gets the same partitions back
     * without a rebalance. A second consumer subscribing with an instance id that a live one uses
     * takes it over and the older one is fenced: its subscription fails with ALREADY_EXISTS
     * naming the instance id. Give every consumer process of a group its own instance id.
     */
    public String groupInstanceId() {
        return groupInstanceId;
    }

    /** Ordered (the default) or share; a group name has one type. */
    public GroupType groupType() {
        return groupType;
    }

    /** The group's redelivery order. Default {@link Ordering#PARTITION}. */
    public Ordering ordering() {
        return ordering;
    }

    /** The group's backoff between redeliveries; null (the default): each topic's own setting. */
    public RetryBackoff retryBackoff() {
        return retryBackoff;
    }

    /**
     * Share groups: how long an acquired message stays locked to this member before another one
     * may receive it (unless acked, released, rejected or renewed). Null: 30 seconds.
     */
    public Duration lockDuration() {
        return lockDuration;
    }

    public Builder toBuilder() {
        return new Builder()
                .clientId(clientId)
                .consumerGroup(consumerGroup)
                .messageHandler(messageHandler)
                .pullInterval(pullInterval)
                .ackMode(ackMode)
                .startFrom(startFrom)
                .sessionTimeout(sessionTimeout)
                .assignmentListener(assignmentListener)
                .groupInstanceId(groupInstanceId)
                .ordering(ordering)
                .retryBackoff(retryBackoff)
                .groupType(groupType)
                .lockDuration(lockDuration);
    }

    public static final class Builder {
        private String clientId = "gmq-consumer-" + UUID.randomUUID().toString().substring(0, 8);
        private String consumerGroup;
        private MessageHandler messageHandler;
        private Duration pullInterval = Duration.ofMillis(100);
        private AckMode ackMode = AckMode.AUTO;
        private OffsetSpec startFrom = OffsetSpec.earliest();
        private Duration sessionTimeout;
        private AssignmentListener assignmentListener = new AssignmentListener() {};
        private String groupInstanceId;
        private Ordering ordering = Ordering.PARTITION;
        private RetryBackoff retryBackoff;
        private GroupType groupType = GroupType.ORDERED;
        private Duration lockDuration;

        private Builder() {}

        /**
         * {@link Ordering#KEY}: a failed message holds back the later messages of its key in its
         * partition until it is acknowledged or dead-lettered (see {@link Ordering}). Every member
         * of a group should use the same ordering.
         */
        public Builder ordering(Ordering o) {
            this.ordering = o;
            return this;
        }

        /** Backoff between redeliveries for this group; null: each topic's setting (nack-backoff...). */
        public Builder retryBackoff(RetryBackoff b) {
            this.retryBackoff = b;
            return this;
        }

        public Builder clientId(String id) {
            this.clientId = id;
            return this;
        }

        public Builder consumerGroup(String group) {
            this.consumerGroup = group;
            return this;
        }

        public Builder messageHandler(MessageHandler h) {
            this.messageHandler = h;
            return this;
        }

        public Builder pullInterval(Duration d) {
            this.pullInterval = d;
            return this;
        }

        public Builder ackMode(AckMode m) {
            this.ackMode = m;
            return this;
        }

        public Builder startFrom(OffsetSpec s) {
            this.startFrom = s;
            return this;
        }

        public Builder sessionTimeout(Duration d) {
            this.sessionTimeout = d;
            return this;
        }

        public Builder assignmentListener(AssignmentListener l) {
            this.assignmentListener = l;
            return this;
        }

        /** Makes this consumer a static member under {@code id} (see {@link ConsumerConfig#groupInstanceId()}); null: dynamic. */
        public Builder groupInstanceId(String id) {
            this.groupInstanceId = id;
            return this;
        }

        /** {@link GroupType#SHARE} for a share group; default {@link GroupType#ORDERED}. */
        public Builder groupType(GroupType t) {
            this.groupType = t;
            return this;
        }

        /** Share groups: the acquisition lock of a delivered message (null: 30 s). */
        public Builder lockDuration(Duration d) {
            this.lockDuration = d;
            return this;
        }

        public ConsumerConfig build() {
            if (clientId == null || clientId.isBlank()) {
                throw GmqException.invalidArgument("clientId must not be empty");
            }
            if (consumerGroup == null || consumerGroup.isBlank()) {
                throw GmqException.invalidArgument("consumerGroup must not be empty");
            }
            Objects.requireNonNull(messageHandler, "messageHandler");
            if (pullInterval == null || pullInterval.isNegative() || pullInterval.isZero()) {
                throw GmqException.invalidArgument("pullInterval must be positive");
            }
            Objects.requireNonNull(ackMode, "ackMode");
            Objects.requireNonNull(assignmentListener, "assignmentListener");
            if (groupType == null) {
                throw GmqException.invalidArgument("groupType must not be null (ORDERED or SHARE)");
            }
            if (ordering == null) {
                throw GmqException.invalidArgument("ordering must be PARTITION or KEY, not null");
            }
            if (lockDuration != null
                    && (lockDuration.isNegative() || lockDuration.isZero() || lockDuration.toHours() >= 24)) {
                throw GmqException.invalidArgument(
                        "lockDuration must be positive and under 24 hours, was " + lockDuration);
            }
            if (startFrom == null
                    || (startFrom.kind() != OffsetSpec.Kind.EARLIEST && startFrom.kind() != OffsetSpec.Kind.LATEST)) {
                throw GmqException.invalidArgument("startFrom must be earliest or latest");
            }
            if (sessionTimeout != null && (sessionTimeout.isNegative() || sessionTimeout.isZero())) {
                throw GmqException.invalidArgument("sessionTimeout must be positive");
            }
            if (groupInstanceId != null) {
                checkInstanceId(groupInstanceId);
            }
            return new ConsumerConfig(this);
        }

        /**
         * Validates a group instance id with the storage's rule for client ids: not blank, at most
         * {@value #MAX_INSTANCE_ID_LENGTH} characters, no control characters. INVALID_ARGUMENT otherwise.
         */
        public static void checkInstanceId(String id) {
            if (id.isBlank()) {
                throw GmqException.invalidArgument("groupInstanceId must not be empty");
            }
            if (id.length() > MAX_INSTANCE_ID_LENGTH) {
                throw GmqException.invalidArgument("groupInstanceId '" + id.substring(0, 32) + "...' is " + id.length()
                        + " characters long, at most " + MAX_INSTANCE_ID_LENGTH + " are allowed");
            }
            for (int i = 0; i < id.length(); i++) {
                if (Character.isISOControl(id.charAt(i))) {
                    throw GmqException.invalidArgument("groupInstanceId '" + id.replaceAll("\\p{Cntrl}", "?")
                            + "' contains a control character at index " + i + "; use printable characters only");
                }
            }
        }
    }
}
