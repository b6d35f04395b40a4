package io.gmq;

/** Receives deliveries. Named as in the original client. */
@FunctionalInterface
public interface MessageHandler {
    /** Returning acknowledges (in {@link AckMode#AUTO}); throwing negatively acknowledges. */
    void handle(ConsumeMessage message) throws Exception;
}
