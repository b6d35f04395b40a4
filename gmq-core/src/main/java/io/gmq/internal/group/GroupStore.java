package io.gmq.internal.group;

import io.gmq.TopicPartition;
import io.gmq.internal.state.StateDb;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The SQLite rows of consumer groups: the I/O edge of {@link GroupCoordinator}. Reads whole
 * groups into {@link GroupSnapshot}s and writes the keys a {@link GroupChanges} names, from the
 * state's current values, inside the caller's transaction.
 *
 * <pre>
 * consumer_group              group_name PK | generation
 * consumer_group_member       (group_name, member_id) PK | client_id | session_timeout_ms | group_instance_id NULL
 * consumer_group_subscription (group_name, member_id, topic) PK
 * consumer_group_partition    (group_name, topic, partition) PK | owner_member_id NULL | target_member_id NULL
 *                             | owner_generation (0 without an owner)
 * consumer_group_offset       (group_name, topic, partition) PK | committed_offset
 * </pre>
 *
 * <p>Crash safety: every write happens inside one {@link StateDb#inTransaction}, so the rows always
 * show the group before or after a whole transition. A member row and its subscription rows are
 * written together and never updated (subscriptions are fixed at join). The group row is never
 * deleted, so a group's generation never goes backward even after it empties and re-forms.
 *
 * <p>{@code group_instance_id} and {@code owner_generation} were added to existing tables: a
 * database written before them gets the columns with their defaults (dynamic members, slots
 * acquired at generation 0, which accept every commit of their owner as before).
 */
final class GroupStore {
    private GroupStore() {}

    static void migrate(StateDb db) {
        db.migrate(
                "CREATE TABLE IF NOT EXISTS consumer_group ("
                        + "group_name TEXT PRIMARY KEY, generation INTEGER NOT NULL)",
                "CREATE TABLE IF NOT EXISTS consumer_group_member ("
                        + "group_name TEXT NOT NULL, member_id TEXT NOT NULL, client_id TEXT NOT NULL, "
                        + "session_timeout_ms INTEGER NOT NULL, PRIMARY KEY (group_name, member_id))",
                "CREATE TABLE IF NOT EXISTS consumer_group_subscription ("
                        + "group_name TEXT NOT NULL, member_id TEXT NOT NULL, topic TEXT NOT NULL, "
                        + "PRIMARY KEY (group_name, member_id, topic))",
                "CREATE TABLE IF NOT EXISTS consumer_group_partition ("
                        + "group_name TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, "
                        + "owner_member_id TEXT, target_member_id TEXT, PRIMARY KEY (group_name, topic, partition))",
                "CREATE TABLE IF NOT EXISTS consumer_group_offset ("
                        + "group_name TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, "
                        + "committed_offset INTEGER NOT NULL, PRIMARY KEY (group_name, topic, partition))");
        addColumn(db, "consumer_group_member", "group_instance_id", "TEXT");
        addColumn(db, "consumer_group_partition", "owner_generation", "INTEGER NOT NULL DEFAULT 0");
    }

    private static void addColumn(StateDb db, String table, String column, String type) {
        boolean present = db.inTransaction(c -> {
            try (PreparedStatement s =
                    c.prepareStatement("SELECT 1 FROM pragma_table_info('" + table + "') WHERE name = ?")) {
                s.setString(1, column);
                try (ResultSet r = s.executeQuery()) {
                    return r.next();
                }
            }
        });
        if (!present) {
            db.migrate("ALTER TABLE " + table + " ADD COLUMN " + column + " " + type);
        }
    }

    /** Every persisted group, by name. */
    static SortedMap<String, GroupSnapshot> loadAll(Connection c) throws SQLException {
        SortedMap<String, Integer> generations = new TreeMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT group_name, generation FROM consumer_group");
                ResultSet r = s.executeQuery()) {
            while (r.next()) {
                generations.put(r.getString(1), r.getInt(2));
            }
        }
        SortedMap<String, GroupSnapshot> result = new TreeMap<>();
        for (Map.Entry<String, Integer> e : generations.entrySet()) {
            result.put(e.getKey(), load(c, e.getKey(), e.getValue()));
        }
        return result;
    }

    /** One group, or null if it has no row. */
    static GroupSnapshot load(Connection c, String group) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT generation FROM consumer_group WHERE group_name = ?")) {
            s.setString(1, group);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? load(c, group, r.getInt(1)) : null;
            }
        }
    }

    private static GroupSnapshot load(Connection c, String group, int generation) throws SQLException {
        Map<String, TreeSet<String>> topics = new HashMap<>();
        try (PreparedStatement s =
                c.prepareStatement("SELECT member_id, topic FROM consumer_group_subscription WHERE group_name = ?")) {
            s.setString(1, group);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    topics.computeIfAbsent(r.getString(1), m -> new TreeSet<>()).add(r.getString(2));
                }
            }
        }
        SortedMap<String, GroupMember> members = new TreeMap<>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT member_id, client_id, session_timeout_ms, group_instance_id FROM consumer_group_member "
                        + "WHERE group_name = ?")) {
            s.setString(1, group);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    String id = r.getString(1);
                    members.put(
                            id,
                            new GroupMember(
                                    id,
                                    r.getString(2),
                                    topics.getOrDefault(id, new TreeSet<>()),
                                    r.getLong(3),
                                    r.getString(4)));
                }
            }
        }
        SortedMap<TopicPartition, PartitionSlot> slots = new TreeMap<>();
        try (PreparedStatement s =
                c.prepareStatement("SELECT topic, partition, owner_member_id, target_member_id, owner_generation "
                        + "FROM consumer_group_partition WHERE group_name = ?")) {
            s.setString(1, group);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    slots.put(
                            new TopicPartition(r.getString(1), r.getInt(2)),
                            new PartitionSlot(r.getString(3), r.getString(4), r.getInt(5)));
                }
            }
        }
        SortedMap<TopicPartition, Long> offsets = new TreeMap<>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT topic, partition, committed_offset FROM consumer_group_offset WHERE group_name = ?")) {
            s.setString(1, group);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    offsets.put(new TopicPartition(r.getString(1), r.getInt(2)), r.getLong(3));
                }
            }
        }
        return new GroupSnapshot(
                group,
                generation,
                Collections.unmodifiableSortedMap(members),
                Collections.unmodifiableSortedMap(slots),
                Collections.unmodifiableSortedMap(offsets));
    }

    /** Rewrites the rows of every key in {@code changes} from {@code state}'s current values. */
    static void write(Connection c, GroupState state, GroupChanges changes) throws SQLException {
        String group = state.name();
        if (changes.groupRow()) {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO consumer_group (group_name, generation) "
                    + "VALUES (?, ?) ON CONFLICT (group_name) DO UPDATE SET generation = excluded.generation")) {
                s.setString(1, group);
                s.setInt(2, state.generation());
                s.executeUpdate();
            }
        }
        if (!changes.members().isEmpty()) {
            writeMembers(c, group, state, changes);
        }
        if (!changes.slots().isEmpty()) {
            try (PreparedStatement upsert = c.prepareStatement("INSERT INTO consumer_group_partition "
                            + "(group_name, topic, partition, owner_member_id, target_member_id, owner_generation) "
                            + "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (group_name, topic, partition) DO UPDATE SET "
                            + "owner_member_id = excluded.owner_member_id, target_member_id = excluded.target_member_id, "
                            + "owner_generation = excluded.owner_generation");
                    PreparedStatement delete = c.prepareStatement("DELETE FROM consumer_group_partition "
                            + "WHERE group_name = ? AND topic = ? AND partition = ?")) {
                for (TopicPartition tp : changes.slots()) {
                    PartitionSlot slot = state.slots().get(tp);
                    PreparedStatement s = slot == null ? delete : upsert;
                    bindKey(s, group, tp);
                    if (slot != null) {
                        s.setString(4, slot.owner());
                        s.setString(5, slot.target());
                        s.setInt(6, slot.ownerGeneration());
                    }
                    s.executeUpdate();
                }
            }
        }
        if (!changes.offsets().isEmpty()) {
            try (PreparedStatement upsert = c.prepareStatement(
                            "INSERT INTO consumer_group_offset "
                                    + "(group_name, topic, partition, committed_offset) VALUES (?, ?, ?, ?) "
                                    + "ON CONFLICT (group_name, topic, partition) DO UPDATE SET committed_offset = excluded.committed_offset");
                    PreparedStatement delete = c.prepareStatement("DELETE FROM consumer_group_offset "
                            + "WHERE group_name = ? AND topic = ? AND partition = ?")) {
                for (TopicPartition tp : changes.offsets()) {
                    Long offset = state.offsets().get(tp);
                    PreparedStatement s = offset == null ? delete : upsert;
                    bindKey(s, group, tp);
                    if (offset != null) {
                        s.setLong(4, offset);
                    }
                    s.executeUpdate();
                }
            }
        }
    }

    private static void writeMembers(Connection c, String group, GroupState state, GroupChanges changes)
            throws SQLException {
        try (PreparedStatement deleteMember =
                        c.prepareStatement("DELETE FROM consumer_group_member WHERE group_name = ? AND member_id = ?");
                PreparedStatement deleteTopics = c.prepareStatement(
                        "DELETE FROM consumer_group_subscription WHERE group_name = ? AND member_id = ?");
                PreparedStatement insertMember = c.prepareStatement(
                        "INSERT INTO consumer_group_member "
                                + "(group_name, member_id, client_id, session_timeout_ms, group_instance_id) VALUES (?, ?, ?, ?, ?)");
                PreparedStatement insertTopic = c.prepareStatement(
                        "INSERT INTO consumer_group_subscription (group_name, member_id, topic) VALUES (?, ?, ?)")) {
            for (String id : changes.members()) {
                for (PreparedStatement s : new PreparedStatement[] {deleteMember, deleteTopics}) {
                    s.setString(1, group);
                    s.setString(2, id);
                    s.executeUpdate();
                }
                GroupMember member = state.members().get(id);
                if (member == null) {
                    continue;
                }
                insertMember.setString(1, group);
                insertMember.setString(2, id);
                insertMember.setString(3, member.clientId());
                insertMember.setLong(4, member.sessionTimeoutMillis());
                insertMember.setString(5, member.instanceId());
                insertMember.executeUpdate();
                for (String topic : member.topics()) {
                    insertTopic.setString(1, group);
                    insertTopic.setString(2, id);
                    insertTopic.setString(3, topic);
                    insertTopic.executeUpdate();
                }
            }
        }
    }

    private static void bindKey(PreparedStatement s, String group, TopicPartition tp) throws SQLException {
        s.setString(1, group);
        s.setString(2, tp.topic());
        s.setInt(3, tp.partition());
    }
}
