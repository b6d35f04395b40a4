package io.gmq;

/** Which order a consumer group keeps. */
public enum Ordering {
    /** Per partition, as delivered first (the default). */
    PARTITION,
    /**
     * Per key: the records of one key reach handlers in offset order. In a share group a key is
     * held by one member at a time and moves only when its in-flight records are done.
     */
    KEY
}
