package io.gmq;

/**
 * What went wrong, in terms a caller can act on. Each code maps one-to-one to a gRPC status code
 * in network mode, so an embedded caller and a remote caller see the same classification.
 */
public enum ErrorCode {
    /** Bad input: a malformed topic name, a negative offset, an unknown partition. Fix the request. */
    INVALID_ARGUMENT,
    /** The named topic, group or member does not exist. */
    NOT_FOUND,
    /** The thing being created exists already with other settings. */
    ALREADY_EXISTS,
    /** A limit was hit: message too large, disk full, too many in flight. Back off or shrink the request. */
    RESOURCE_EXHAUSTED,
    /** The caller's view is stale: old generation, partition no longer owned, group has members. Rejoin or retry later. */
    FAILED_PRECONDITION,
    /** Storage cannot be reached or is closed. Retry later. */
    UNAVAILABLE,
    /** The request did not complete in time; its effect is unknown (indeterminate). */
    DEADLINE_EXCEEDED,
    /** Stored data failed its checksum in a place recovery may not repair (e.g. the middle of a sealed segment). */
    DATA_LOSS,
    /** The caller is not authenticated. */
    UNAUTHENTICATED,
    /** The caller is authenticated but not allowed to do this. */
    PERMISSION_DENIED,
    /** A bug or an unexpected I/O failure. */
    INTERNAL
}
