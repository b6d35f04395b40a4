package io.gmq.security;

import java.nio.file.Path;

/**
 * A security setting backed by a file that can be re-read while the server runs (the token file,
 * the ACL file). A reload that fails keeps the version in force; see {@link #reloadIfChanged()}.
 */
public interface Reloadable {

    /** The file this setting is read from. */
    Path file();

    /**
     * Re-reads the file now and applies it if its content changed (thread-safe).
     *
     * @return true if a new version is now in force, false if the content was unchanged
     * @throws io.gmq.GmqException (INVALID_ARGUMENT) naming the file and line when the file cannot be
     *     read or does not parse; the previous version stays in force and the error is logged
     */
    boolean reloadIfChanged();

    /** Runs {@code listener} on the reloading thread after every reload that applied a new version. */
    Registration onReload(Runnable listener);

    /** Stops a listener added with {@link #onReload}. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
