package io.gmq.security;

/**
 * Turns the bearer token a client presented into a {@link Principal}. Implementations must be
 * thread-safe: the network layer calls them from many call threads at once.
 */
public interface Authenticator {

    /**
     * @param bearerToken the token without the {@code Bearer } prefix; {@code null} if none was sent
     * @return the principal the token belongs to
     * @throws io.gmq.GmqException with {@link io.gmq.ErrorCode#UNAUTHENTICATED} and the message
     *     "invalid or missing token" when the token is missing or unknown (the message never says
     *     which, so a caller cannot probe for valid tokens)
     */
    Principal authenticate(String bearerToken);
}
