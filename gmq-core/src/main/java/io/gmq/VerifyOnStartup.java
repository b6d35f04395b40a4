package io.gmq;

/**
 * How much of the log the engine checks frame by frame (CRC32C and offsets) when it opens, beyond
 * the tail recovery it always does. Damage found is logged at ERROR with the offsets it makes
 * unreadable; those offsets then fail reads with DATA_LOSS and everything else is served.
 */
public enum VerifyOnStartup {
    /** Tail recovery only: damage in older data is found when it is read. */
    NONE,
    /**
     * After an unclean shutdown (no clean-shutdown marker), every segment written since the last
     * verified start; after a clean shutdown nothing more. The default.
     */
    UNFLUSHED,
    /** Every segment at every start (reads the whole log: see docs/OPERATIONS.md for the cost). */
    ALL
}
