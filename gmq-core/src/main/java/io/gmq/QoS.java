package io.gmq;

/** Delivery guarantee of a publish and of the deliveries it causes. Names follow the original client. */
public enum QoS {
    /** At most once: publish does not wait for durability; a delivery counts as consumed once handed over. */
    AT_MOST_ONCE,
    /** At least once: publish completes once durable; deliveries are acknowledged, unacknowledged ones come again. */
    AT_LEAST_ONCE
}
