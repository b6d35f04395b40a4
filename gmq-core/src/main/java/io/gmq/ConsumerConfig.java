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
    private final String clientId;
    private final String consumerGroup;
    private final MessageHandler messageHandler;
    private final Duration pullInterval;
    private final AckMode ackMode;
    private final OffsetSpec startFrom;
    private final Duration sessionTimeout;
    private final AssignmentListener assignmentListener;
    private final GroupType groupType;
    private final Ordering ordering;
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
        this.groupType = b.groupType;
        this.ordering = b.ordering;
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

    /** Ordered (the default) or share; a group name has one type. */
    public GroupType groupType() {
        return groupType;
    }

    /** Per partition (the default) or per key. */
    public Ordering ordering() {
        return ordering;
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
                .groupType(groupType)
                .ordering(ordering)
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
        private GroupType groupType = GroupType.ORDERED;
        private Ordering ordering = Ordering.PARTITION;
        private Duration lockDuration;

        private Builder() {}

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

        /** {@link GroupType#SHARE} for a share group; default {@link GroupType#ORDERED}. */
        public Builder groupType(GroupType t) {
            this.groupType = t;
            return this;
        }

        /** {@link Ordering#KEY} keeps order per key; default {@link Ordering#PARTITION}. */
        public Builder ordering(Ordering o) {
            this.ordering = o;
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
                throw GmqException.invalidArgument("ordering must not be null (PARTITION or KEY)");
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
            return new ConsumerConfig(this);
        }
    }
}
