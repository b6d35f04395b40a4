package io.gmq.internal.share;

import io.gmq.TopicPartition;
import io.gmq.internal.state.StateDb;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;

/**
 * The SQLite rows of share groups: the I/O edge of {@link ShareGroups}.
 *
 * <pre>
 * share_group        group_name PK | key_ordered (0/1)
 * share_group_offset (group_name, topic, partition) PK | start_offset
 * </pre>
 *
 * <p>Only the share start offset of each partition is kept: every record below it is settled.
 * In-flight records (acquired, released, and settled ones above an unsettled one) live in memory
 * only, so after a restart the records from the start offset on are delivered again: at least
 * once. A group row is written before its first member is answered, so a name's type survives
 * a restart.
 */
final class ShareStore {
    private ShareStore() {}

    static void migrate(StateDb db) {
        db.migrate(
                "CREATE TABLE IF NOT EXISTS share_group (group_name TEXT PRIMARY KEY, key_ordered INTEGER NOT NULL)",
                "CREATE TABLE IF NOT EXISTS share_group_offset (group_name TEXT NOT NULL, topic TEXT NOT NULL, "
                        + "partition INTEGER NOT NULL, start_offset INTEGER NOT NULL, "
                        + "PRIMARY KEY (group_name, topic, partition))");
    }

    /** Every share group's key mode, by name. */
    static Map<String, Boolean> loadGroups(StateDb db) {
        return db.inTransaction(c -> {
            Map<String, Boolean> out = new HashMap<>();
            try (PreparedStatement s = c.prepareStatement("SELECT group_name, key_ordered FROM share_group");
                    ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.put(r.getString(1), r.getInt(2) != 0);
                }
            }
            return out;
        });
    }

    /** The persisted start offsets of {@code group}. */
    static Map<TopicPartition, Long> loadOffsets(StateDb db, String group) {
        return db.inTransaction(c -> {
            Map<TopicPartition, Long> out = new HashMap<>();
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT topic, partition, start_offset FROM share_group_offset WHERE group_name = ?")) {
                s.setString(1, group);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.put(new TopicPartition(r.getString(1), r.getInt(2)), r.getLong(3));
                    }
                }
            }
            return out;
        });
    }

    static void writeGroup(StateDb db, String group, boolean keyOrdered) {
        db.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO share_group (group_name, key_ordered) "
                    + "VALUES (?, ?) ON CONFLICT (group_name) DO UPDATE SET key_ordered = excluded.key_ordered")) {
                s.setString(1, group);
                s.setInt(2, keyOrdered ? 1 : 0);
                s.executeUpdate();
            }
            return null;
        });
    }

    /** Writes the given start offsets of {@code group} in one transaction. */
    static void writeOffsets(StateDb db, Map<String, Map<TopicPartition, Long>> offsets) {
        db.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO share_group_offset (group_name, topic, partition, start_offset) VALUES (?, ?, ?, ?) "
                            + "ON CONFLICT (group_name, topic, partition) DO UPDATE SET start_offset = excluded.start_offset")) {
                for (Map.Entry<String, Map<TopicPartition, Long>> g : offsets.entrySet()) {
                    for (Map.Entry<TopicPartition, Long> e : g.getValue().entrySet()) {
                        s.setString(1, g.getKey());
                        s.setString(2, e.getKey().topic());
                        s.setInt(3, e.getKey().partition());
                        s.setLong(4, e.getValue());
                        s.executeUpdate();
                    }
                }
            }
            return null;
        });
    }

    static void deleteGroup(StateDb db, String group) {
        db.inTransaction(c -> {
            for (String sql : new String[] {
                "DELETE FROM share_group_offset WHERE group_name = ?", "DELETE FROM share_group WHERE group_name = ?"
            }) {
                try (PreparedStatement s = c.prepareStatement(sql)) {
                    s.setString(1, group);
                    s.executeUpdate();
                }
            }
            return null;
        });
    }

    static void deleteTopic(StateDb db, String topic) {
        db.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM share_group_offset WHERE topic = ?")) {
                s.setString(1, topic);
                s.executeUpdate();
            }
            return null;
        });
    }
}
