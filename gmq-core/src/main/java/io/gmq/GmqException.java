package io.gmq;

/**
 * The one exception type of GMQ's API. The {@link #code()} says what the caller can do about it;
 * the message says what was wrong in words a user can act on.
 */
public class GmqException extends RuntimeException {
    private final ErrorCode code;

    public GmqException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public GmqException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public static GmqException invalidArgument(String message) {
        return new GmqException(ErrorCode.INVALID_ARGUMENT, message);
    }

    public static GmqException notFound(String message) {
        return new GmqException(ErrorCode.NOT_FOUND, message);
    }

    @Override
    public String toString() {
        return "GmqException[" + code + "]: " + getMessage();
    }
}
