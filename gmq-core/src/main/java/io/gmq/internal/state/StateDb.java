package io.gmq.internal.state;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteJDBCLoader;

/**
 * The engine's SQLite database ({@code gmq.db} in the data directory): topic metadata, group
 * membership, assignments and committed offsets.
 *
 * <p>WAL journal with {@code synchronous=FULL}: a committed transaction is on disk when
 * {@link #inTransaction} returns, and a crash at any point leaves the state before or after each
 * transaction, never between. One connection serialised by a lock: state changes are rare
 * (joins, heartbeats, batched commits) and short, so one writer is simpler and never contends on
 * SQLite's own file locks.
 */
public final class StateDb implements AutoCloseable {
    public static final String FILE_NAME = "gmq.db";

    /** Work inside one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    private final Path file;
    private boolean closed;

    private StateDb(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /**
     * {@link #open} on a thread of its own, for a caller with other start-up work to do meanwhile
     * (on a fresh JVM the open is mostly loading SQLite's native library).
     */
    public static CompletableFuture<StateDb> openAsync(Path dataDir) {
        return onOwnThread("gmq-state-open", () -> open(dataDir));
    }

    /** Runs one piece of start-up work on a new daemon thread named {@code name}. */
    private static <T> CompletableFuture<T> onOwnThread(String name, Callable<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = new Thread(
                () -> {
                    try {
                        result.complete(work.call());
                    } catch (Throwable e) {
                        result.completeExceptionally(e);
                    }
                },
                name);
        t.setDaemon(true);
        t.start();
        return result;
    }

    public static StateDb open(Path dataDir) {
        Path file = dataDir.resolve(FILE_NAME);
        try {
            Files.createDirectories(dataDir);
            // A fresh JVM spends most of this open loading SQLite's native library and building
            // sqlite-jdbc's configuration (date formats, locale data): do the two side by side.
            CompletableFuture<Boolean> nativeLibrary = onOwnThread("gmq-sqlite-load", () -> {
                SqliteNativeCache.prepare();
                return SQLiteJDBCLoader.initialize();
            });
            SQLiteConfig config = new SQLiteConfig();
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
            config.enforceForeignKeys(true);
            config.setBusyTimeout(5000);
            try {
                nativeLibrary.join();
            } catch (CompletionException e) {
                throw new SQLException("cannot load SQLite's native library: " + e.getCause(), e.getCause());
            }
            Connection c = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
            c.setAutoCommit(false);
            return new StateDb(file, c);
        } catch (SQLException | java.io.IOException e) {
            throw new GmqException(
                    ErrorCode.UNAVAILABLE, "cannot open state database " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    /** Runs {@code work} in a transaction: commits if it returns, rolls back if it throws. */
    public <T> T inTransaction(Work<T> work) {
        lock.lock();
        try {
            if (closed) {
                throw new GmqException(ErrorCode.UNAVAILABLE, "state database is closed");
            }
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException e) {
                rollbackQuietly();
                throw classify(e);
            } catch (RuntimeException | Error e) {
                rollbackQuietly();
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes a consistent copy of the database to {@code target} (which must not exist) and forces
     * it: SQLite's {@code VACUUM INTO}, which reads one committed state, so a transaction that
     * commits meanwhile is either wholly in the copy or not at all. The copy is a complete database
     * file on its own (no WAL beside it).
     */
    public void copyTo(Path target) {
        lock.lock();
        try {
            if (closed) {
                throw new GmqException(ErrorCode.UNAVAILABLE, "state database is closed");
            }
            // VACUUM cannot run inside a transaction, and this connection always has one open.
            connection.commit();
            connection.setAutoCommit(true);
            try (var s = connection.prepareStatement("VACUUM INTO ?")) {
                s.setString(1, target.toAbsolutePath().toString());
                s.execute();
            } finally {
                connection.setAutoCommit(false);
            }
            try (var channel = java.nio.channels.FileChannel.open(target, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
        } catch (SQLException e) {
            throw classify(e);
        } catch (java.io.IOException e) {
            throw new GmqException(
                    ErrorCode.INTERNAL, "cannot force the copy " + target + " of the state database: " + e, e);
        } finally {
            lock.unlock();
        }
    }

    /** Runs schema statements (CREATE TABLE IF NOT EXISTS ...) in one transaction. */
    public void migrate(String... statements) {
        inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                for (String sql : statements) {
                    s.execute(sql);
                }
            }
            return null;
        });
    }

    private void rollbackQuietly() {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // the original failure is what the caller needs to see
        }
    }

    private static GmqException classify(SQLException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("SQLITE_FULL") || m.contains("disk is full")) {
            return new GmqException(ErrorCode.RESOURCE_EXHAUSTED, "disk full while writing group state: " + m, e);
        }
        if (m.contains("SQLITE_CORRUPT") || m.contains("malformed")) {
            return new GmqException(ErrorCode.DATA_LOSS, "state database is corrupt: " + m, e);
        }
        return new GmqException(ErrorCode.INTERNAL, "state database error: " + m, e);
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                connection.close();
            }
        } catch (SQLException e) {
            throw classify(e);
        } finally {
            lock.unlock();
        }
    }
}
