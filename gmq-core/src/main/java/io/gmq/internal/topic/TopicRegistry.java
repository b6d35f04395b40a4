package io.gmq.internal.topic;

import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.TopicConfig;
import io.gmq.TopicInfo;
import io.gmq.internal.state.StateDb;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The engine's topics: name and partition count, kept in the {@code topics} table of the state
 * database and mirrored in memory.
 *
 * <pre>
 *   topics
 *   +------------+---------+----------------------------------------------+
 *   | name       | TEXT PK | a name {@link TopicNames#validate} accepts    |
 *   | partitions | INTEGER | 1..maxPartitionsPerTopic, only ever grows    |
 *   | created_ms | INTEGER | wall clock of the creation, for operators    |
 *   | config     | TEXT    | the topic's own settings, TopicConfig.encode |
 *   | growth     | TEXT    | partition growths, GrowthColumn.encode       |
 *   +------------+---------+----------------------------------------------+
 * </pre>
 *
 * <p><b>Invariant:</b> the in-memory map holds exactly the committed rows. It is loaded once in
 * the constructor; a topic enters it only after its INSERT committed and leaves it only after
 * its DELETE committed. So the hot path ({@link #partitions}, a cache hit in
 * {@link #getOrCreate}) never touches SQLite, and a topic a caller saw is one that survives a
 * crash (StateDb commits with {@code synchronous=FULL}).
 *
 * <p>Names in the map were validated when created, so a hit skips validation; only a miss
 * validates. Every check (name, partition count, limits) runs before SQLite is touched.
 *
 * <p>Creates and deletes are serialised by one monitor: they are rare, and serialising them makes
 * "many threads create the same topic at once" produce one row and one {@link TopicInfo}
 * without relying on SQLite conflict handling. Reads never take the monitor.
 */
public final class TopicRegistry {
    static final String CREATE_TABLE = "CREATE TABLE IF NOT EXISTS topics ("
            + "name TEXT PRIMARY KEY, "
            + "partitions INTEGER NOT NULL, "
            + "created_ms INTEGER NOT NULL, "
            + "config TEXT NOT NULL DEFAULT '')";

    private final StateDb db;
    private final GmqConfig config;
    private final ConcurrentHashMap<String, TopicInfo> topics = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();

    /** Creates the table if needed and loads every topic into memory. */
    public TopicRegistry(StateDb db, GmqConfig config) {
        this.db = db;
        this.config = config;
        db.migrate(CREATE_TABLE);
        addConfigColumn();
        addGrowthColumn();
        load();
    }

    /** A state database written before topics had settings gets the column (every topic: the engine's). */
    private void addConfigColumn() {
        boolean present = db.inTransaction(c -> {
            try (PreparedStatement s =
                            c.prepareStatement("SELECT 1 FROM pragma_table_info('topics') WHERE name = 'config'");
                    ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        });
        if (!present) {
            db.migrate("ALTER TABLE topics ADD COLUMN config TEXT NOT NULL DEFAULT ''");
        }
    }

    /** A state database written before partition counts could grow gets the column (no topic grew). */
    private void addGrowthColumn() {
        boolean present = db.inTransaction(c -> {
            try (PreparedStatement s =
                            c.prepareStatement("SELECT 1 FROM pragma_table_info('topics') WHERE name = 'growth'");
                    ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        });
        if (!present) {
            db.migrate("ALTER TABLE topics ADD COLUMN growth TEXT NOT NULL DEFAULT ''");
        }
    }

    private void load() {
        List<String[]> rows = db.inTransaction(c -> {
            List<String[]> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT name, partitions, config, growth FROM topics");
                    ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(new String[] {
                        rs.getString(1), Integer.toString(rs.getInt(2)), rs.getString(3), rs.getString(4)
                    });
                }
            }
            return out;
        });
        for (String[] row : rows) {
            TopicConfig config;
            List<io.gmq.PartitionGrowth> growth;
            try {
                config = TopicConfig.decode(row[2]);
                growth = GrowthColumn.decode(row[3]);
            } catch (GmqException e) {
                throw new GmqException(
                        ErrorCode.DATA_LOSS,
                        "state database " + db.file() + " holds unreadable settings or growth for topic "
                                + TopicNames.quote(String.valueOf(row[0])) + " (" + e.getMessage()
                                + "); fix the row or restore the database from a backup",
                        e);
            }
            loadRow(new TopicInfo(row[0], Integer.parseInt(row[1]), config, growth));
        }
    }

    private void loadRow(TopicInfo t) {
        // A row GMQ did not write (or a damaged file) must not turn into a directory path.
        if (!TopicNames.isValid(t.name()) || t.partitions() < 1) {
            throw new GmqException(
                    ErrorCode.DATA_LOSS,
                    "state database " + db.file() + " holds an invalid topic row "
                            + TopicNames.quote(String.valueOf(t.name())) + " with " + t.partitions()
                            + " partitions; remove the row or restore the database from a backup");
        }
        topics.put(t.name(), t);
    }

    /**
     * Creates {@code name} with {@code partitions} partitions. Returns the existing topic if it
     * exists with the same count; ALREADY_EXISTS if with another; INVALID_ARGUMENT for a bad name
     * or count; RESOURCE_EXHAUSTED when the engine already holds {@code maxTopics} topics.
     */
    public TopicInfo create(String name, int partitions) {
        return create(name, partitions, TopicConfig.empty());
    }

    /**
     * As {@link #create(String, int)}, with the topic's own settings; an existing topic with other
     * settings is ALREADY_EXISTS (change them with {@link #alter}).
     */
    public TopicInfo create(String name, int partitions, TopicConfig settings) {
        TopicNames.validate(name);
        int max = config.maxPartitionsPerTopic();
        if (partitions < 1 || partitions > max) {
            throw GmqException.invalidArgument("topic '" + name + "' cannot have " + partitions
                    + " partitions; allowed: 1.." + max + " (maxPartitionsPerTopic)");
        }
        TopicInfo existing = topics.get(name);
        if (existing != null) {
            return sameOrConflict(existing, partitions, settings);
        }
        synchronized (writeLock) {
            existing = topics.get(name);
            if (existing != null) {
                return sameOrConflict(existing, partitions, settings);
            }
            if (topics.size() >= config.maxTopics()) {
                throw new GmqException(
                        ErrorCode.RESOURCE_EXHAUSTED,
                        "cannot create topic '" + name
                                + "': the engine already holds " + topics.size() + " topics (maxTopics="
                                + config.maxTopics() + "); delete unused topics or raise maxTopics");
            }
            TopicInfo created = new TopicInfo(name, partitions, settings);
            long now = config.timeSource().wallMillis();
            db.inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement(
                        "INSERT INTO topics(name, partitions, created_ms, config) VALUES (?, ?, ?, ?)")) {
                    s.setString(1, name);
                    s.setInt(2, partitions);
                    s.setLong(3, now);
                    s.setString(4, settings.encode());
                    s.executeUpdate();
                }
                return null;
            });
            topics.put(name, created);
            return created;
        }
    }

    private static TopicInfo sameOrConflict(TopicInfo existing, int partitions, TopicConfig settings) {
        if (existing.partitions() != partitions) {
            throw new GmqException(
                    ErrorCode.ALREADY_EXISTS,
                    "topic '" + existing.name() + "' exists with " + existing.partitions()
                            + " partitions; cannot create it with " + partitions);
        }
        if (!settings.isEmpty() && !settings.equals(existing.config())) {
            throw new GmqException(
                    ErrorCode.ALREADY_EXISTS,
                    "topic '" + existing.name() + "' exists with the settings "
                            + existing.config().values() + "; change them with topics alter, not create");
        }
        return existing;
    }

    /**
     * Applies {@code changes} to the topic's settings ({@link TopicConfig#with}: an empty value
     * goes back to the engine's) and returns the topic as it now is; NOT_FOUND if it does not
     * exist, INVALID_ARGUMENT for a bad key or value (nothing changes).
     */
    public TopicInfo alter(String name, Map<String, String> changes) {
        TopicNames.validate(name);
        synchronized (writeLock) {
            TopicInfo t = topics.get(name);
            if (t == null) {
                throw GmqException.notFound("topic '" + name + "' does not exist");
            }
            TopicConfig next = t.config().with(changes);
            if (next.equals(t.config())) {
                return t;
            }
            db.inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement("UPDATE topics SET config = ? WHERE name = ?")) {
                    s.setString(1, next.encode());
                    s.setString(2, name);
                    s.executeUpdate();
                }
                return null;
            });
            TopicInfo altered = t.withConfig(next);
            topics.put(name, altered);
            return altered;
        }
    }

    /**
     * Grows topic {@code name} from its current partition count to {@code partitions}, recording
     * {@code boundaries} (one per old partition, see {@link io.gmq.PartitionGrowth}); returns the
     * topic as it now is. NOT_FOUND if it does not exist; INVALID_ARGUMENT if {@code partitions} is
     * not above the current count or above {@code maxPartitionsPerTopic} (nothing changes). The
     * caller computes the boundaries under its own exclusion of keyed appends ({@code checkGrowth}
     * first, then this).
     */
    public TopicInfo grow(String name, int partitions, List<Long> boundaries) {
        synchronized (writeLock) {
            TopicInfo t = checkGrowth(name, partitions);
            List<io.gmq.PartitionGrowth> growth = new ArrayList<>(t.growth());
            growth.add(new io.gmq.PartitionGrowth(t.partitions(), partitions, boundaries));
            String encoded = GrowthColumn.encode(growth);
            db.inTransaction(c -> {
                try (PreparedStatement s =
                        c.prepareStatement("UPDATE topics SET partitions = ?, growth = ? WHERE name = ?")) {
                    s.setInt(1, partitions);
                    s.setString(2, encoded);
                    s.setString(3, name);
                    s.executeUpdate();
                }
                return null;
            });
            TopicInfo grown = new TopicInfo(name, partitions, t.config(), growth);
            topics.put(name, grown);
            return grown;
        }
    }

    /**
     * The topic {@code name} if it can grow to {@code partitions}: NOT_FOUND if it does not exist,
     * INVALID_ARGUMENT (naming the rule) for a count that is not a growth or is over the limit.
     */
    public TopicInfo checkGrowth(String name, int partitions) {
        TopicNames.validate(name);
        TopicInfo t = topics.get(name);
        if (t == null) {
            throw GmqException.notFound("topic '" + name + "' does not exist");
        }
        int max = config.maxPartitionsPerTopic();
        if (partitions <= t.partitions()) {
            throw GmqException.invalidArgument("topic '" + name + "' has " + t.partitions()
                    + " partitions; its count can only grow, so " + partitions
                    + " is refused (allowed: " + (t.partitions() + 1) + ".." + max + ")");
        }
        if (partitions > max) {
            throw GmqException.invalidArgument("topic '" + name + "' cannot have " + partitions
                    + " partitions; allowed: " + (t.partitions() + 1) + ".." + max + " (maxPartitionsPerTopic)");
        }
        return t;
    }

    /**
     * The topic; if absent, creates it with {@code defaultPartitions} when auto-create is on,
     * else NOT_FOUND. A cache hit neither validates nor touches SQLite.
     */
    public TopicInfo getOrCreate(String name) {
        return getOrCreate(name, config.autoCreateTopics());
    }

    /**
     * As {@link #getOrCreate(String)} with the caller's auto-create choice instead of the
     * engine's; this is {@code Storage.topic(name, autoCreate)}, where the broker decides.
     */
    public TopicInfo getOrCreate(String name, boolean autoCreate) {
        TopicInfo t = name == null ? null : topics.get(name);
        if (t != null) {
            return t;
        }
        TopicNames.validate(name);
        if (!autoCreate) {
            throw notFound(name);
        }
        synchronized (writeLock) {
            // Re-read under the lock: a racing creator may have used another partition count,
            // and whatever it created is the topic.
            t = topics.get(name);
            return t != null ? t : create(name, config.defaultPartitions());
        }
    }

    /** The topic if it exists. INVALID_ARGUMENT for a malformed name (it could never exist). */
    public Optional<TopicInfo> find(String name) {
        TopicInfo t = name == null ? null : topics.get(name);
        if (t == null) {
            TopicNames.validate(name);
        }
        return Optional.ofNullable(t);
    }

    /** The partition count of an existing topic, from memory; NOT_FOUND if it does not exist. */
    public int partitions(String name) {
        TopicInfo t = name == null ? null : topics.get(name);
        if (t == null) {
            TopicNames.validate(name);
            throw GmqException.notFound("topic '" + name + "' does not exist; create it or publish to it first");
        }
        return t.partitions();
    }

    /** Every topic, sorted by name. */
    public List<TopicInfo> list() {
        List<TopicInfo> out = new ArrayList<>(topics.values());
        out.sort(Comparator.comparing(TopicInfo::name));
        return out;
    }

    /** Number of topics. */
    public int size() {
        return topics.size();
    }

    /**
     * Removes the topic's row; returns false if it did not exist. The caller owns the topic's
     * data directory and group offsets and deletes them after this returns true.
     */
    public boolean delete(String name) {
        TopicNames.validate(name);
        synchronized (writeLock) {
            if (!topics.containsKey(name)) {
                return false;
            }
            db.inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM topics WHERE name = ?")) {
                    s.setString(1, name);
                    s.executeUpdate();
                }
                return null;
            });
            topics.remove(name);
            return true;
        }
    }

    private static GmqException notFound(String name) {
        return GmqException.notFound("topic '" + name + "' does not exist (auto-create is off); create it first");
    }
}
