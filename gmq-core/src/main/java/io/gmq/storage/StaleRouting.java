package io.gmq.storage;

import io.gmq.ErrorCode;
import io.gmq.GmqException;

/** Recognises the refusal of a keyed batch routed with a partition count the topic no longer has. */
public final class StaleRouting {
    private StaleRouting() {}

    /**
     * Whether {@code e} is that refusal: FAILED_PRECONDITION whose message starts with
     * {@link Storage#STALE_ROUTING}. Nothing of the batch was stored; route its records again.
     */
    public static boolean is(Throwable e) {
        return e instanceof GmqException g
                && g.code() == ErrorCode.FAILED_PRECONDITION
                && String.valueOf(g.getMessage()).startsWith(Storage.STALE_ROUTING);
    }
}
