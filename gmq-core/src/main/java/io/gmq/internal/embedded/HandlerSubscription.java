package io.gmq.internal.embedded;

import io.gmq.AckMode;
import io.gmq.ConsumeMessage;
import io.gmq.ConsumerConfig;
import io.gmq.GmqException;
import io.gmq.MessageHandler;
import io.gmq.Ordering;
import io.gmq.QoS;
import io.gmq.Subscription;
import io.gmq.TopicPartition;
import io.gmq.broker.BrokerEngine;
import io.gmq.broker.Delivery;
import io.gmq.broker.DeliverySink;
import io.gmq.broker.GroupSubscription;
import io.gmq.broker.KeyOrderGate;
import io.gmq.broker.SubscriptionOptions;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded consumer: a group member whose deliveries a dedicated thread hands to the
 * application's {@link MessageHandler}, one at a time, in partition order.
 *
 * <p>Flow control: at most {@link #MAX_QUEUED_MESSAGES} messages wait for the handler; the member
 * stops fetching when the queue is full and is woken when it drains to half.
 *
 * <p>Acks made on the handler thread are collected per delivery and applied as one run
 * ({@link GroupSubscription#ackAll}: one lock acquisition instead of one per record) when the
 * delivery is done, when {@link #ACK_RUN} of them are held, or at the member's next tick or
 * commit ({@link #flushAcks()}, from the group executor), whichever comes first; so an ack is
 * never held longer than one tick even while a handler blocks. Acks from other threads (manual
 * mode) go to the member at once.
 */
public final class HandlerSubscription implements Subscription, DeliverySink, DeliveredMessage.Acker {
    private static final Logger LOG = LoggerFactory.getLogger(HandlerSubscription.class);
    static final int MAX_QUEUED_MESSAGES = 4096;
    /** Most acks held back for one run. */
    static final int ACK_RUN = 1024;

    private final ConsumerConfig config;
    private final MessageHandler handler;
    private final LinkedBlockingQueue<Delivery> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final Thread dispatcher;
    private volatile GroupSubscription member;
    private volatile boolean running = true;
    private volatile Set<TopicPartition> lastAssignment = Set.of();
    private final Runnable onClose;
    /** Key ordering's consumer side (null under partition ordering); guarded by itself. */
    private final KeyOrderGate<DeliveredMessage> gate;
    /** Records whose turn came when their key's previous one was settled off the handler thread. */
    private final ConcurrentLinkedQueue<DeliveredMessage> ready = new ConcurrentLinkedQueue<>();
    /** Queued to wake the dispatcher for {@link #ready} (compared by identity). */
    private static final Delivery WAKE = new Delivery(null, ByteBuffer.allocate(0), 0, 0, 0, 0);

    /** Guards the held acks; taken before the member's lock, never inside it. */
    private final Object ackLock = new Object();
    // guarded by ackLock: offsets acked on the handler thread, all of partition ackTp, not yet applied
    private final long[] heldAcks = new long[ACK_RUN];
    private int heldCount;
    private TopicPartition ackTp;
    /** The delivery generation of the held acks (all of one delivery generation). */
    private int ackGeneration;

    private HandlerSubscription(ConsumerConfig config, Runnable onClose) {
        this.config = config;
        this.handler = config.messageHandler();
        this.onClose = onClose;
        this.gate = config.ordering() == Ordering.KEY ? new KeyOrderGate<>() : null;
        this.dispatcher = new Thread(this::dispatchLoop, "gmq-consumer-" + config.clientId());
        this.dispatcher.setDaemon(true);
    }

    public static HandlerSubscription start(
            BrokerEngine engine, ConsumerConfig config, Set<String> topics, Runnable onClose) {
        HandlerSubscription s = new HandlerSubscription(config, onClose);
        s.dispatcher.start();
        try {
            engine.subscribe(
                    config.consumerGroup(),
                    config.clientId(),
                    topics,
                    new SubscriptionOptions(
                            config.pullInterval(),
                            config.startFrom(),
                            config.sessionTimeout(),
                            config.groupInstanceId(),
                            config.groupType(),
                            config.ordering(),
                            config.retryBackoff(),
                            config.lockDuration()),
                    s);
        } catch (RuntimeException e) {
            s.running = false;
            s.dispatcher.interrupt();
            throw e;
        }
        s.member.wakeUp();
        return s;
    }

    // ---- DeliverySink ---------------------------------------------------------------------------

    @Override
    public void attached(GroupSubscription subscription) {
        this.member = subscription;
    }

    @Override
    public int capacity() {
        return running ? Math.max(0, MAX_QUEUED_MESSAGES - queued.get()) : 0;
    }

    @Override
    public void deliver(Delivery delivery) {
        queued.addAndGet(delivery.messageCount());
        queue.add(delivery);
    }

    // ---- dispatch -------------------------------------------------------------------------------

    private void dispatchLoop() {
        while (running) {
            Delivery d;
            try {
                d = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                if (!running) {
                    return;
                }
                continue;
            }
            if (d == null) {
                continue;
            }
            if (d == WAKE) {
                for (DeliveredMessage m; (m = ready.poll()) != null; ) {
                    handle(m);
                }
                continue;
            }
            Messages.forEach(
                    d.tp(),
                    d.frames(),
                    d.fromOffset(),
                    d.toOffset(),
                    d.deliveryCount(),
                    d.finalAttempt(),
                    d.generation(),
                    this,
                    gate == null ? this::handle : this::admit);
            flushAcks();
            int left = queued.addAndGet(-d.messageCount());
            GroupSubscription m = member;
            if (m != null && left <= MAX_QUEUED_MESSAGES / 2 && left + d.messageCount() > MAX_QUEUED_MESSAGES / 2) {
                m.wakeUp();
            }
        }
    }

    /** Key ordering: hands the record to the handler only if its key lets it go now ({@link KeyOrderGate}). */
    private void admit(ConsumeMessage message) {
        KeyOrderGate.Admission a;
        synchronized (gate) {
            a = gate.admit((DeliveredMessage) message);
        }
        if (a == KeyOrderGate.Admission.HANDLE) {
            handle(message);
        }
    }

    /** Key ordering: {@code m} was settled; the next record of its key, if one waits, goes to the handler. */
    private void settledInGate(DeliveredMessage m, boolean ack) {
        DeliveredMessage next;
        synchronized (gate) {
            next = gate.settled(m, ack, dropped -> {});
        }
        if (next != null) {
            ready.add(next);
            queue.add(WAKE);
        }
    }

    private void handle(ConsumeMessage message) {
        if (!running) {
            return;
        }
        try {
            handler.handle(message);
            if (config.ackMode() == AckMode.AUTO) {
                message.ack();
            }
        } catch (Exception | Error e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.debug("handler of {} failed on {}: {}", config.clientId(), message, e.toString());
            if (message.qos() == QoS.AT_LEAST_ONCE) {
                message.nack();
            }
        }
    }

    @Override
    public void ack(DeliveredMessage m) {
        GroupSubscription s = member;
        if (s == null) {
            return;
        }
        if (gate != null) {
            settledInGate(m, true);
        }
        if (Thread.currentThread() != dispatcher) {
            s.ack(m.topicPartition(), m.offset(), m.generation());
            return;
        }
        synchronized (ackLock) {
            if (heldCount == ACK_RUN
                    || (heldCount > 0 && (ackTp != m.topicPartition() || ackGeneration != m.generation()))) {
                applyHeldAcks(s);
            }
            ackTp = m.topicPartition();
            ackGeneration = m.generation();
            heldAcks[heldCount++] = m.offset();
        }
    }

    @Override
    public void nack(DeliveredMessage m) {
        nack(m, -1);
    }

    @Override
    public void nack(DeliveredMessage m, long delayMillis) {
        GroupSubscription s = member;
        if (s == null) {
            return;
        }
        if (gate != null) {
            settledInGate(m, false);
        }
        if (Thread.currentThread() == dispatcher) {
            flushAcks(); // acks held back on this thread go first: the broker sees them before the nack
        }
        s.nack(m.topicPartition(), m.offset(), delayMillis < 0 ? -1 : TimeUnit.MILLISECONDS.toNanos(delayMillis));
    }

    @Override
    public void share(DeliveredMessage m, io.gmq.storage.ShareAck kind) {
        GroupSubscription s = member;
        if (s == null) {
            return;
        }
        switch (kind) {
            case RELEASE -> s.release(m.topicPartition(), m.offset());
            case REJECT -> s.reject(m.topicPartition(), m.offset());
            case RENEW -> s.renew(m.topicPartition(), m.offset());
            case ACCEPT -> ack(m);
        }
    }

    /** Applies the acks held back on the handler thread (any thread; see the class comment). */
    @Override
    public void flushAcks() {
        GroupSubscription s = member;
        if (s == null) {
            return;
        }
        synchronized (ackLock) {
            applyHeldAcks(s);
        }
    }

    private void applyHeldAcks(GroupSubscription s) {
        if (heldCount > 0) {
            s.ackAll(ackTp, heldAcks, heldCount, ackGeneration);
            heldCount = 0;
        }
    }

    // ---- Subscription ---------------------------------------------------------------------------

    @Override
    public String memberId() {
        return member.memberId();
    }

    @Override
    public String consumerGroup() {
        return config.consumerGroup();
    }

    @Override
    public Set<String> topics() {
        return member.topics();
    }

    @Override
    public Set<TopicPartition> assignment() {
        return member.assignment();
    }

    @Override
    public void assignmentChanged(Set<TopicPartition> assigned, int generation) {
        Set<TopicPartition> before = lastAssignment;
        Set<TopicPartition> lost = new java.util.HashSet<>(before);
        lost.removeAll(assigned);
        Set<TopicPartition> gained = new java.util.HashSet<>(assigned);
        gained.removeAll(before);
        lastAssignment = Set.copyOf(assigned);
        if (gate != null) {
            synchronized (gate) {
                for (TopicPartition tp : lost) {
                    gate.forget(tp, dropped -> {});
                }
            }
        }
        try {
            if (!lost.isEmpty()) {
                config.assignmentListener().onRevoked(Set.copyOf(lost));
            }
            if (!gained.isEmpty()) {
                config.assignmentListener().onAssigned(Set.copyOf(gained));
            }
        } catch (RuntimeException e) {
            LOG.warn("assignment listener of {} failed", config.clientId(), e);
        }
    }

    @Override
    public void failed(GmqException error) {
        failure = error;
        running = false;
        LOG.warn("consumer {} stopped: {}", config.clientId(), error.getMessage());
    }

    private volatile GmqException failure;

    @Override
    public GmqException failure() {
        return failure;
    }

    /** Stops like a crashed process: no final commit, no leave (fault-injection tests). */
    public void crash() {
        running = false;
        GroupSubscription m = member;
        if (m != null) {
            m.crash();
        }
        onClose.run();
    }

    /** Stops the handler thread (after the message in hand), commits acknowledged progress, leaves the group. */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        if (Thread.currentThread() != dispatcher) {
            try {
                dispatcher.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        GroupSubscription m = member;
        if (m != null) {
            flushAcks(); // the member's close commits what is acknowledged
            m.close();
        }
        onClose.run();
    }
}
