package io.gmq;

/** How QoS 1 deliveries are acknowledged. */
public enum AckMode {
    /** The handler returning acknowledges; throwing negatively acknowledges. */
    AUTO,
    /** The application calls {@link ConsumeMessage#ack()} / {@link ConsumeMessage#nack()}. */
    MANUAL
}
