package io.gmq.security;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Bearer tokens from a token file (format: {@link StaticTokenAuthenticator}) that follows the file
 * while the server runs: after {@link #reloadIfChanged()} applied a new version, a removed token
 * fails its next authentication. Calls authenticated earlier are not touched here; the network layer
 * re-checks its open streams with {@link #principalOfDigest} when {@link #onReload} fires.
 */
public final class ReloadingTokenAuthenticator implements Authenticator, Reloadable {
    private final ReloadingFile<StaticTokenAuthenticator> tokens;

    private ReloadingTokenAuthenticator(ReloadingFile<StaticTokenAuthenticator> tokens) {
        this.tokens = tokens;
    }

    /** Loads {@code tokenFile} now; a missing or malformed file fails with its line number. */
    public static ReloadingTokenAuthenticator load(Path tokenFile) {
        return new ReloadingTokenAuthenticator(ReloadingFile.load(
                tokenFile,
                "token file",
                (lines, source) -> StaticTokenAuthenticator.of(StaticTokenAuthenticator.parse(lines, source))));
    }

    @Override
    public Principal authenticate(String bearerToken) {
        return tokens.current().authenticate(bearerToken);
    }

    /** The principal the token with this digest names in the version in force, if it is still listed. */
    public Optional<Principal> principalOfDigest(byte[] tokenDigest) {
        return tokens.current().principalOfDigest(tokenDigest);
    }

    @Override
    public Path file() {
        return tokens.file();
    }

    @Override
    public boolean reloadIfChanged() {
        return tokens.reloadIfChanged();
    }

    @Override
    public Registration onReload(Runnable listener) {
        return tokens.onReload(listener);
    }
}
