package io.gmq.internal.schedule;

import io.gmq.TopicPartition;
import io.gmq.internal.state.StateDb;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The durable schedule of delayed messages: table {@code scheduled_message} in the engine's
 * SQLite database ({@link StateDb}, WAL, {@code synchronous=FULL}: a committed transaction is on
 * disk). One row per scheduled batch:
 *
 * <pre>
 *   id          INTEGER PRIMARY KEY AUTOINCREMENT   the schedule id; never reused
 *   topic, partition                                 where it is appended when due (chosen at publish)
 *   deliver_at  INTEGER                              epoch millis it is due
 *   records     INTEGER                              records in the frame
 *   bytes       INTEGER                              length of the frame
 *   frame       BLOB                                 the producer's unsealed BatchFormat frame
 *   fire_from   INTEGER NULL                         set just before its append: the partition's end
 *                                                    offset then; NULL while it only waits
 * </pre>
 *
 * <p>Crash-safety of a firing (what makes it exactly once): (1) {@code fire_from} is committed,
 * (2) the records are appended durably, each with header {@code gmq-schedule-id}, (3) the row is
 * deleted. A crash before (2) is durable leaves the row with {@code fire_from} and the records not
 * in the log at or after it; a crash after (2) leaves them there. Recovery ({@link DelayScheduler})
 * looks for the id in the log from {@code fire_from} on and deletes the row or fires it again,
 * so a row is appended once whichever write the crash interrupted.
 *
 * <p>Not thread-safe on its own: {@link DelayScheduler} calls it from its one thread (and
 * {@link StateDb} serialises transactions).
 */
final class ScheduleStore {
    static final String TABLE = "scheduled_message";

    /** One row. {@code fireFrom} is {@link #NOT_FIRING} while it only waits. */
    record Entry(long id, TopicPartition tp, long deliverAt, int records, byte[] frame, long fireFrom) {
        boolean firing() {
            return fireFrom != NOT_FIRING;
        }
    }

    /** A row to insert. */
    record NewEntry(TopicPartition tp, long deliverAt, int records, byte[] frame) {}

    static final long NOT_FIRING = -1;

    private final StateDb db;

    ScheduleStore(StateDb db) {
        this.db = db;
        db.migrate(
                "CREATE TABLE IF NOT EXISTS " + TABLE + " (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                        + "topic TEXT NOT NULL, partition INTEGER NOT NULL, deliver_at INTEGER NOT NULL, "
                        + "records INTEGER NOT NULL, bytes INTEGER NOT NULL, frame BLOB NOT NULL, fire_from INTEGER)",
                "CREATE INDEX IF NOT EXISTS " + TABLE + "_due ON " + TABLE + " (deliver_at, id)");
    }

    /** Inserts {@code entries} in one transaction; their ids, in order. */
    long[] insert(List<NewEntry> entries) {
        return db.inTransaction(c -> {
            long[] ids = new long[entries.size()];
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO " + TABLE
                            + " (topic, partition, deliver_at, records, bytes, frame) VALUES (?, ?, ?, ?, ?, ?)",
                    java.sql.Statement.RETURN_GENERATED_KEYS)) {
                for (int i = 0; i < ids.length; i++) {
                    NewEntry e = entries.get(i);
                    s.setString(1, e.tp().topic());
                    s.setInt(2, e.tp().partition());
                    s.setLong(3, e.deliverAt());
                    s.setInt(4, e.records());
                    s.setInt(5, e.frame().length);
                    s.setBytes(6, e.frame());
                    s.executeUpdate();
                    try (ResultSet keys = s.getGeneratedKeys()) {
                        keys.next();
                        ids[i] = keys.getLong(1);
                    }
                }
            }
            return ids;
        });
    }

    /**
     * Rows due at {@code nowMillis} and not firing, earliest first: at most {@code maxRows}, and no
     * more than fit {@code maxBytes} of frames (at least one). The sizes are read first, without
     * the frames, so a backlog of large rows is never loaded at once.
     */
    List<Entry> due(long nowMillis, int maxRows, long maxBytes) {
        int rows = db.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT bytes FROM " + TABLE
                    + " WHERE deliver_at <= ? AND fire_from IS NULL ORDER BY deliver_at, id LIMIT ?")) {
                s.setLong(1, nowMillis);
                s.setInt(2, maxRows);
                int n = 0;
                long sum = 0;
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        sum += r.getLong(1);
                        if (n > 0 && sum > maxBytes) {
                            break;
                        }
                        n++;
                    }
                }
                return n;
            }
        });
        if (rows == 0) {
            return List.of();
        }
        return select("WHERE deliver_at <= ? AND fire_from IS NULL ORDER BY deliver_at, id LIMIT ?", nowMillis, rows);
    }

    /** Rows whose firing began and did not end (a crash or a failed append). */
    List<Entry> firing() {
        return select("WHERE fire_from IS NOT NULL ORDER BY id", null, -1);
    }

    /** The earliest due time of a waiting row, or {@link Long#MAX_VALUE} when there is none. */
    long earliestDue() {
        return db.inTransaction(c -> {
            try (PreparedStatement s =
                            c.prepareStatement("SELECT MIN(deliver_at) FROM " + TABLE + " WHERE fire_from IS NULL");
                    ResultSet r = s.executeQuery()) {
                long min = r.next() ? r.getLong(1) : 0;
                return r.wasNull() ? Long.MAX_VALUE : min;
            }
        });
    }

    /** Step (1) of a firing: records where each row's records will be appended from. */
    void markFiring(Map<Long, Long> fireFromById) {
        db.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE " + TABLE + " SET fire_from = ? WHERE id = ?")) {
                for (Map.Entry<Long, Long> e : fireFromById.entrySet()) {
                    s.setLong(1, e.getValue());
                    s.setLong(2, e.getKey());
                    s.executeUpdate();
                }
            }
            return null;
        });
    }

    /** A firing that did not happen (its append failed and is not in the log): the row waits again. */
    void clearFiring(Collection<Long> ids) {
        update("UPDATE " + TABLE + " SET fire_from = NULL WHERE id = ?", ids);
    }

    /** Step (3) of a firing, or rows whose topic is gone. */
    void delete(Collection<Long> ids) {
        update("DELETE FROM " + TABLE + " WHERE id = ?", ids);
    }

    /** Deletes every row of {@code topic}; returns how many. */
    int deleteTopic(String topic) {
        return db.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM " + TABLE + " WHERE topic = ?")) {
                s.setString(1, topic);
                return s.executeUpdate();
            }
        });
    }

    /** Per partition: {records, frame bytes} of every row. */
    Map<TopicPartition, long[]> totals() {
        return db.inTransaction(c -> {
            Map<TopicPartition, long[]> totals = new HashMap<>();
            try (PreparedStatement s = c.prepareStatement("SELECT topic, partition, SUM(records), SUM(bytes) FROM "
                            + TABLE + " GROUP BY topic, partition");
                    ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    totals.put(
                            new TopicPartition(r.getString(1), r.getInt(2)), new long[] {r.getLong(3), r.getLong(4)});
                }
            }
            return totals;
        });
    }

    private void update(String sql, Collection<Long> ids) {
        if (ids.isEmpty()) {
            return;
        }
        db.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                for (long id : ids) {
                    s.setLong(1, id);
                    s.executeUpdate();
                }
            }
            return null;
        });
    }

    private List<Entry> select(String where, Long nowMillis, int limit) {
        return db.inTransaction(c -> {
            List<Entry> entries = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT id, topic, partition, deliver_at, records, frame, fire_from FROM " + TABLE + " " + where)) {
                if (nowMillis != null) {
                    s.setLong(1, nowMillis);
                    s.setInt(2, limit);
                }
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        long fireFrom = r.getLong(7);
                        entries.add(new Entry(
                                r.getLong(1),
                                new TopicPartition(r.getString(2), r.getInt(3)),
                                r.getLong(4),
                                r.getInt(5),
                                r.getBytes(6),
                                r.wasNull() ? NOT_FIRING : fireFrom));
                    }
                }
            }
            return entries;
        });
    }
}
