package io.gmq;

/**
 * What order a consumer group keeps when messages are redelivered (a group option,
 * {@link ConsumerConfig.Builder#ordering}).
 */
public enum Ordering {
    /**
     * Partition order on first delivery only (the default): a nacked or timed-out message comes
     * again after its backoff, possibly after later messages of its partition and key.
     */
    PARTITION,
    /**
     * Per-key order across redelivery: a message that is nacked, times out or waits for a retry
     * holds back the later messages of the same key in its partition (other keys go on) until it
     * is acknowledged or dead-lettered. A handler receives a key's message only after every
     * earlier message of that key in the partition was acknowledged by a handler (or
     * dead-lettered). Messages without a key are each a key of their own: they never wait for
     * each other.
     * In a share group a key is held by one member at a time and moves only when its
     * in-flight records are done.
     */
    KEY
}
