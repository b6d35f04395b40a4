package io.gmq.client;

import io.gmq.AckMode;
import io.gmq.AssignmentListener;
import io.gmq.GmqException;
import io.gmq.MessageHandler;
import io.gmq.OffsetSpec;
import io.gmq.Ordering;
import io.gmq.RetryBackoff;
import io.gmq.wire.ChannelSecurity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Settings of one {@link GmqClient}, validated once in {@link Builder#build()}. Names follow the
 * original client (ServerAddr, ClientID, ConsumerGroup, PullInterval, MessageHandler).
 *
 * <p>{@code serverAddr} is either a comma-separated list of brokers ({@code "host1:50051,host2:50051"};
 * the client connects to the first that answers and fails over to the next when it goes away), or
 * {@code "embedded:<data-dir>"} (for example {@code "embedded:./gmq-data"}), which opens an
 * in-process engine on that directory behind the same interface, no server needed.
 *
 * <h2>When the server is away (network mode)</h2>
 *
 * <ul>
 *   <li>{@link GmqClient#connect} tries every address, then again with backoff, for up to
 *       {@link #connectTimeout()} (default 10 s); then it throws UNAVAILABLE naming the address
 *       ("cannot reach GMQ broker at host:port: connection refused"). A refused token
 *       (UNAUTHENTICATED) or a failed TLS handshake fails at once. {@code connectTimeout(Duration.ZERO)} tries each address
 *       once.
 *   <li>After a session breaks, the client reconnects by itself, round robin over the addresses,
 *       with exponential backoff from 50 ms up to {@link #reconnectBackoffMax()} and equal jitter
 *       (each delay is between half and all of the current step, so clients that lost the same
 *       broker do not return in lockstep). Subscriptions rejoin; unacknowledged QoS 1 publishes are
 *       sent again.
 *   <li>Every publish, {@code publish} and {@code publishAsync} alike, has a deadline of
 *       {@link #requestTimeout()} from the call. A publish still waiting for a broker then is
 *       removed from the send queue and fails with UNAVAILABLE: it was never sent, so publishing
 *       it again cannot duplicate it. A publish that was sent but not acknowledged by then fails
 *       with DEADLINE_EXCEEDED: its outcome is indeterminate (it may be stored), and the client
 *       does not send it again.
 *   <li>Admin calls wait up to {@link #requestTimeout()} for a broker, then throw UNAVAILABLE.
 * </ul>
 */
public final class ClientConfig {
    public static final String EMBEDDED_PREFIX = "embedded:";

    private final String serverAddr;
    private final String clientId;
    private final String consumerGroup;
    private final MessageHandler messageHandler;
    private final Duration pullInterval;
    private final AckMode ackMode;
    private final OffsetSpec startFrom;
    private final Duration linger;
    private final int maxBatchBytes;
    private final int maxInFlightBatches;
    private final boolean idempotence;
    private final int consumerCredits;
    private final Duration requestTimeout;
    private final Duration connectTimeout;
    private final Duration reconnectBackoffMax;
    private final Duration sessionTimeout;
    private final String groupInstanceId;
    private final ChannelSecurity security;
    private final AssignmentListener assignmentListener;
    private final Ordering ordering;
    private final RetryBackoff retryBackoff;
    private final io.gmq.GroupType groupType;
    private final Duration lockDuration;

    private ClientConfig(Builder b) {
        this.serverAddr = b.serverAddr;
        this.clientId = b.clientId;
        this.consumerGroup = b.consumerGroup;
        this.messageHandler = b.messageHandler;
        this.pullInterval = b.pullInterval;
        this.ackMode = b.ackMode;
        this.ordering = b.ordering;
        this.retryBackoff = b.retryBackoff;
        this.startFrom = b.startFrom;
        this.groupType = b.groupType;
        this.lockDuration = b.lockDuration;
        this.linger = b.linger;
        this.maxBatchBytes = b.maxBatchBytes;
        this.maxInFlightBatches = b.maxInFlightBatches;
        this.idempotence = b.idempotence;
        this.consumerCredits = b.consumerCredits;
        this.requestTimeout = b.requestTimeout;
        this.connectTimeout = b.connectTimeout;
        this.reconnectBackoffMax = b.reconnectBackoffMax;
        this.sessionTimeout = b.sessionTimeout;
        this.groupInstanceId = b.groupInstanceId;
        this.security = new ChannelSecurity(b.tlsCaFile, b.tlsCertFile, b.tlsKeyFile, b.token);
        this.assignmentListener = b.assignmentListener;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Brokers, comma separated, or {@code embedded:<data-dir>}. Default {@code localhost:50051}. */
    public String serverAddr() {
        return serverAddr;
    }

    /** The broker addresses in failover order (empty in embedded mode). */
    public List<String> addresses() {
        List<String> out = new ArrayList<>();
        if (isEmbedded()) {
            return out;
        }
        for (String a : serverAddr.split(",")) {
            if (!a.isBlank()) {
                out.add(a.trim());
            }
        }
        return out;
    }

    public boolean isEmbedded() {
        return serverAddr.startsWith(EMBEDDED_PREFIX);
    }

    /** The data directory of embedded mode. */
    public String embeddedDataDir() {
        return serverAddr.substring(EMBEDDED_PREFIX.length());
    }

    /** Default: a random "gmq-client-..." id. */
    public String clientId() {
        return clientId;
    }

    /** Group whose members share a topic's partitions; required to subscribe. */
    public String consumerGroup() {
        return consumerGroup;
    }

    /** Runs each delivered message; required to subscribe. */
    public MessageHandler messageHandler() {
        return messageHandler;
    }

    /** Longest wait between fetches of an idle partition. Default 100 ms. */
    public Duration pullInterval() {
        return pullInterval;
    }

    /** Default {@link AckMode#AUTO}. */
    public AckMode ackMode() {
        return ackMode;
    }

    /** The group's redelivery order (see {@link Ordering}). Default {@link Ordering#PARTITION}. */
    public Ordering ordering() {
        return ordering;
    }

    /** The group's backoff between redeliveries; null (the default): each topic's setting. */
    public RetryBackoff retryBackoff() {
        return retryBackoff;
    }

    /** Where a group with no committed offset starts: earliest (default) or latest. */
    public OffsetSpec startFrom() {
        return startFrom;
    }

    /**
     * Longest an async publish waits for more records to share its batch (network mode). Default
     * 2 ms. A batch leaves at once when no batch of its partition awaits its ack (so a lone
     * message at a low rate is never held back), else when it is full or after this linger. {@link Duration#ZERO} sends every publish call's batch
     * at once. In embedded mode the engine batches without a linger: records that arrive while a
     * partition's appends are in flight share the next frame.
     */
    public Duration linger() {
        return linger;
    }

    /** A batch is sent once it holds this many bytes (network mode). Default 256 KiB. */
    public int maxBatchBytes() {
        return maxBatchBytes;
    }

    /** Publish batches awaiting their ack before publishing blocks. Default 512. */
    public int maxInFlightBatches() {
        return maxInFlightBatches;
    }

    /**
     * Whether QoS 1 publishes are idempotent (network mode): each batch carries this client's
     * producer id, an epoch and per-partition sequences, so storage stores it exactly once however
     * often the client resends it after a lost session, a broker kill or a storage restart. Off: a
     * resent batch may be stored twice (at least once). Default true.
     */
    public boolean idempotence() {
        return idempotence;
    }

    /** Messages a subscription may hold unprocessed (flow-control credits). Default 1000. */
    public int consumerCredits() {
        return consumerCredits;
    }

    /**
     * Longest wait of a synchronous admin call, and the deadline of every publish (synchronous or
     * async), counted from the call. Default 30 s. A publish not yet sent when it passes fails with
     * UNAVAILABLE and is never sent (safe to publish again); one sent but not acknowledged fails
     * with DEADLINE_EXCEEDED (indeterminate: it may be stored) and is not sent again.
     */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /**
     * How long {@link GmqClient#connect} keeps trying to reach a broker (every address, then again
     * with the reconnect backoff) before it throws UNAVAILABLE naming the address. Default 10 s;
     * {@link Duration#ZERO} tries each address once. Network mode only.
     */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * Cap of the reconnect backoff. Default 2 s. The backoff step doubles from 50 ms up to this cap;
     * each delay is drawn between half and all of the step (equal jitter).
     */
    public Duration reconnectBackoffMax() {
        return reconnectBackoffMax;
    }

    /** Group session timeout; null for the broker default. */
    public Duration sessionTimeout() {
        return sessionTimeout;
    }

    /**
     * The consumer's group instance id (static membership), or null (default: dynamic). See
     * {@link io.gmq.ConsumerConfig#groupInstanceId()}: a static consumer keeps its partitions when
     * its connection breaks or it closes, until its session timeout runs out, and gets them back
     * without a rebalance when it subscribes again in time; a newer consumer with the same
     * instance id fences it ({@link GmqClient#subscriptionError(String)} then names the instance id).
     */
    public String groupInstanceId() {
        return groupInstanceId;
    }

    /** PEM CA file the broker certificate must chain to; null for plaintext (default). */
    public Path tlsCaFile() {
        return security.caFile();
    }

    /** PEM client certificate for mutual TLS; null for none (default). */
    public Path tlsCertFile() {
        return security.certFile();
    }

    /** PEM PKCS#8 key of {@link #tlsCertFile()}; null for none. */
    public Path tlsKeyFile() {
        return security.keyFile();
    }

    /** Bearer token sent on every call; null for none (default). */
    public String token() {
        return security.token();
    }

    /** Transport credentials and token of the broker channels, in one value. */
    public ChannelSecurity security() {
        return security;
    }
    /** Hears partitions gained and lost in rebalances. Default: does nothing. */
    public AssignmentListener assignmentListener() {
        return assignmentListener;
    }

    /** Ordered (default) or share group (see {@link io.gmq.ConsumerConfig#groupType()}). */
    public io.gmq.GroupType groupType() {
        return groupType;
    }

    /** Share groups: the acquisition lock of a delivered message; null for 30 s. */
    public Duration lockDuration() {
        return lockDuration;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.groupType = groupType;
        b.lockDuration = lockDuration;
        b.serverAddr = serverAddr;
        b.clientId = clientId;
        b.consumerGroup = consumerGroup;
        b.messageHandler = messageHandler;
        b.pullInterval = pullInterval;
        b.ackMode = ackMode;
        b.ordering = ordering;
        b.retryBackoff = retryBackoff;
        b.startFrom = startFrom;
        b.linger = linger;
        b.maxBatchBytes = maxBatchBytes;
        b.maxInFlightBatches = maxInFlightBatches;
        b.idempotence = idempotence;
        b.consumerCredits = consumerCredits;
        b.requestTimeout = requestTimeout;
        b.connectTimeout = connectTimeout;
        b.reconnectBackoffMax = reconnectBackoffMax;
        b.sessionTimeout = sessionTimeout;
        b.groupInstanceId = groupInstanceId;
        b.tlsCaFile = security.caFile();
        b.tlsCertFile = security.certFile();
        b.tlsKeyFile = security.keyFile();
        b.token = security.token();
        b.assignmentListener = assignmentListener;
        return b;
    }

    public static final class Builder {
        private io.gmq.GroupType groupType = io.gmq.GroupType.ORDERED;
        private Duration lockDuration;
        private String serverAddr = "localhost:50051";
        private String clientId = "gmq-client-" + UUID.randomUUID().toString().substring(0, 8);
        private String consumerGroup;
        private MessageHandler messageHandler;
        private Duration pullInterval = Duration.ofMillis(100);
        private AckMode ackMode = AckMode.AUTO;
        private Ordering ordering = Ordering.PARTITION;
        private RetryBackoff retryBackoff;
        private OffsetSpec startFrom = OffsetSpec.earliest();
        private Duration linger = Duration.ofMillis(2);
        private int maxBatchBytes = 256 * 1024;
        private int maxInFlightBatches = 512;
        private boolean idempotence = true;
        private int consumerCredits = 1000;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration reconnectBackoffMax = Duration.ofSeconds(2);
        private Duration sessionTimeout;
        private String groupInstanceId;
        private Path tlsCaFile;
        private Path tlsCertFile;
        private Path tlsKeyFile;
        private String token;
        private AssignmentListener assignmentListener = new AssignmentListener() {};

        private Builder() {}

        public Builder serverAddr(String addr) {
            this.serverAddr = addr;
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

        /**
         * {@link Ordering#KEY}: a failed message holds back the later messages of its key in its
         * partition until it is acknowledged or dead-lettered. Every member of a group should use
         * the same ordering.
         */
        public Builder ordering(Ordering o) {
            this.ordering = o;
            return this;
        }

        /** The group's backoff between redeliveries; null: each topic's nack-backoff settings. */
        public Builder retryBackoff(RetryBackoff b) {
            this.retryBackoff = b;
            return this;
        }

        public Builder startFrom(OffsetSpec s) {
            this.startFrom = s;
            return this;
        }

        /** {@link io.gmq.GroupType#SHARE}: any number of members consume the same partitions. */
        public Builder groupType(io.gmq.GroupType t) {
            this.groupType = t;
            return this;
        }

        /** Share groups: how long a delivered message stays locked to this member (null: 30 s). */
        public Builder lockDuration(Duration d) {
            this.lockDuration = d;
            return this;
        }

        public Builder linger(Duration d) {
            this.linger = d;
            return this;
        }

        public Builder maxBatchBytes(int bytes) {
            this.maxBatchBytes = bytes;
            return this;
        }

        public Builder maxInFlightBatches(int n) {
            this.maxInFlightBatches = n;
            return this;
        }

        /** See {@link ClientConfig#idempotence()}. */
        public Builder idempotence(boolean on) {
            this.idempotence = on;
            return this;
        }

        public Builder consumerCredits(int n) {
            this.consumerCredits = n;
            return this;
        }

        public Builder requestTimeout(Duration d) {
            this.requestTimeout = d;
            return this;
        }

        /** See {@link ClientConfig#connectTimeout()}; zero tries each address once. */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = d;
            return this;
        }

        public Builder reconnectBackoffMax(Duration d) {
            this.reconnectBackoffMax = d;
            return this;
        }

        public Builder sessionTimeout(Duration d) {
            this.sessionTimeout = d;
            return this;
        }

        /** Makes the consumer a static group member under {@code id}; null: dynamic (default). */
        public Builder groupInstanceId(String id) {
            this.groupInstanceId = id;
            return this;
        }
        /** Connect with TLS, trusting brokers whose certificate chains to this PEM CA file. */
        public Builder tls(Path caFile) {
            this.tlsCaFile = caFile;
            return this;
        }
        /** Present this PEM certificate and PKCS#8 key (mutual TLS); needs {@link #tls(Path)}. */
        public Builder tlsClientCert(Path certFile, Path keyFile) {
            this.tlsCertFile = certFile;
            this.tlsKeyFile = keyFile;
            return this;
        }
        /** Send {@code authorization: Bearer <token>} on every call. */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        public Builder assignmentListener(AssignmentListener l) {
            this.assignmentListener = l;
            return this;
        }

        public ClientConfig build() {
            require(serverAddr != null && !serverAddr.isBlank(), "serverAddr must not be empty");
            require(groupType != null, "groupType must not be null (ORDERED or SHARE)");
            require(
                    lockDuration == null
                            || (!lockDuration.isNegative() && !lockDuration.isZero() && lockDuration.toHours() < 24),
                    "lockDuration must be positive and under 24 hours");
            if (serverAddr.startsWith(EMBEDDED_PREFIX)) {
                require(
                        serverAddr.length() > EMBEDDED_PREFIX.length(),
                        "embedded: needs a data directory, e.g. embedded:./gmq-data");
            } else {
                for (String a : serverAddr.split(",")) {
                    String t = a.trim();
                    int colon = t.lastIndexOf(':');
                    require(colon > 0 && colon < t.length() - 1, "server address '" + t + "' must be host:port");
                    try {
                        int port = Integer.parseInt(t.substring(colon + 1));
                        require(port > 0 && port < 65536, "port of '" + t + "' must be 1..65535");
                    } catch (NumberFormatException e) {
                        throw GmqException.invalidArgument("port of '" + t + "' is not a number");
                    }
                }
            }
            require(clientId != null && !clientId.isBlank(), "clientId must not be empty");
            require(positive(pullInterval), "pullInterval must be positive");
            require(ackMode != null, "ackMode must be set");
            require(ordering != null, "ordering must be PARTITION or KEY");
            require(
                    startFrom != null
                            && (startFrom.kind() == OffsetSpec.Kind.EARLIEST
                                    || startFrom.kind() == OffsetSpec.Kind.LATEST),
                    "startFrom must be earliest or latest");
            require(linger != null && !linger.isNegative(), "linger must not be negative");
            require(maxBatchBytes >= 1024, "maxBatchBytes must be at least 1024");
            require(maxInFlightBatches >= 1, "maxInFlightBatches must be positive");
            require(consumerCredits >= 1, "consumerCredits must be positive");
            require(positive(requestTimeout), "requestTimeout must be positive");
            require(
                    connectTimeout != null && !connectTimeout.isNegative(),
                    "connectTimeout must not be negative (zero: try each address once)");
            require(
                    linger.compareTo(requestTimeout) < 0,
                    "linger (" + linger.toMillis() + " ms) must be shorter than requestTimeout ("
                            + requestTimeout.toMillis() + " ms), the deadline of every publish");
            require(positive(reconnectBackoffMax), "reconnectBackoffMax must be positive");
            require(sessionTimeout == null || positive(sessionTimeout), "sessionTimeout must be positive");
            if (groupInstanceId != null) {
                io.gmq.ConsumerConfig.Builder.checkInstanceId(groupInstanceId);
            }
            new ChannelSecurity(tlsCaFile, tlsCertFile, tlsKeyFile, token); // validates the combination
            require(assignmentListener != null, "assignmentListener must not be null");
            return new ClientConfig(this);
        }

        private static boolean positive(Duration d) {
            return d != null && !d.isNegative() && !d.isZero();
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw GmqException.invalidArgument(message);
            }
        }
    }
}
