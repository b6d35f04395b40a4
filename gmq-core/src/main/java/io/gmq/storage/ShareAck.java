package io.gmq.storage;

/**
 * What a member of a share group does with a record it acquired ({@link Storage#settle}).
 * Stable wire codes: {@link #code()}.
 */
public enum ShareAck {
    /** Processed: the record is done for the group. */
    ACCEPT(1),
    /**
     * Give it back: available to any member again (after an optional delay). The delivery counts,
     * so a record released {@code maxDeliveries} times goes to the dead-letter topic.
     */
    RELEASE(2),
    /** Unprocessable: done for the group without another delivery (archived, not redelivered). */
    REJECT(3),
    /** Still working on it: the acquisition lock is extended. */
    RENEW(4);

    private final int code;

    ShareAck(int code) {
        this.code = code;
    }

    /** The code the wire carries. */
    public int code() {
        return code;
    }

    /** The kind with wire code {@code code}; INVALID_ARGUMENT for an unknown one. */
    public static ShareAck ofCode(int code) {
        for (ShareAck k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        throw io.gmq.GmqException.invalidArgument("unknown share acknowledgement kind " + code);
    }
}
