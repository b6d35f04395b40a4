package io.gmq.net.cluster;

import io.gmq.TopicPartition;
import io.gmq.storage.ReplicaCheckpoint;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The {@code MANIFEST} of a storage snapshot: which Raft entry it was taken at, what the state
 * machine held beside its replica (its entry clock and the nodes' storage addresses), and the
 * replica checkpoint (segment extents, the SQLite copy's length and CRC32C, member heartbeats).
 * It is the last file written into a snapshot directory, and a snapshot without an intact one is
 * not a snapshot.
 *
 * <p>Format: UTF-8 lines of space-separated fields, every name percent-encoded, in this order:
 *
 * <pre>
 *   gmq-snapshot 1
 *   term TERM
 *   index INDEX
 *   clock WALL_MILLIS
 *   db BYTES CRC32C_HEX                     the SQLite copy, gmq.db
 *   address NODE_ID STORAGE_ADDRESS         zero or more
 *   segment TOPIC PARTITION BASE_OFFSET BYTES NEXT_OFFSET FIRST_APPEND_MILLIS   zero or more, partition then offset order
 *   heartbeat GROUP MEMBER NANOS           zero or more
 *   crc32c CRC32C_HEX                       of every byte above this line
 * </pre>
 */
record SnapshotManifest(
        long term,
        long index,
        long clockMillis,
        long dbBytes,
        int dbCrc,
        SortedMap<String, String> storageAddresses,
        ReplicaCheckpoint checkpoint) {
    static final String FILE = "MANIFEST";
    private static final String MAGIC = "gmq-snapshot 1";

    byte[] encode() {
        StringBuilder b = new StringBuilder();
        b.append(MAGIC).append('\n');
        b.append("term ").append(term).append('\n');
        b.append("index ").append(index).append('\n');
        b.append("clock ").append(clockMillis).append('\n');
        b.append("db ")
                .append(dbBytes)
                .append(' ')
                .append(Integer.toHexString(dbCrc))
                .append('\n');
        storageAddresses.forEach((node, address) -> b.append("address ")
                .append(enc(node))
                .append(' ')
                .append(enc(address))
                .append('\n'));
        for (ReplicaCheckpoint.SegmentExtent s : checkpoint.segments()) {
            b.append("segment ")
                    .append(enc(s.partition().topic()))
                    .append(' ')
                    .append(s.partition().partition())
                    .append(' ')
                    .append(s.baseOffset())
                    .append(' ')
                    .append(s.bytes())
                    .append(' ')
                    .append(s.nextOffset())
                    .append(' ')
                    .append(s.firstAppendMillis())
                    .append('\n');
        }
        checkpoint
                .lastHeartbeats()
                .forEach((group, members) -> members.forEach((member, nanos) -> b.append("heartbeat ")
                        .append(enc(group))
                        .append(' ')
                        .append(enc(member))
                        .append(' ')
                        .append(nanos)
                        .append('\n')));
        byte[] body = b.toString().getBytes(StandardCharsets.UTF_8);
        String trailer = "crc32c " + Integer.toHexString(crc(body, body.length)) + "\n";
        byte[] all = new byte[body.length + trailer.length()];
        System.arraycopy(body, 0, all, 0, body.length);
        System.arraycopy(trailer.getBytes(StandardCharsets.US_ASCII), 0, all, body.length, trailer.length());
        return all;
    }

    /** @throws IOException naming what is wrong, for a manifest that is cut short, altered or not one */
    static SnapshotManifest decode(byte[] bytes) throws IOException {
        int end = bytes.length;
        if (end == 0 || bytes[end - 1] != '\n') {
            throw new IOException("the manifest is cut short");
        }
        int lastLine = end - 1;
        while (lastLine > 0 && bytes[lastLine - 1] != '\n') {
            lastLine--;
        }
        String trailer = new String(bytes, lastLine, end - 1 - lastLine, StandardCharsets.UTF_8);
        if (!trailer.startsWith("crc32c ")) {
            throw new IOException("the manifest has no checksum line (cut short)");
        }
        int expected;
        try {
            expected = parseHex(trailer.substring("crc32c ".length()));
        } catch (NumberFormatException e) {
            throw new IOException("the manifest's checksum line is unreadable: " + trailer);
        }
        int actual = crc(bytes, lastLine);
        if (expected != actual) {
            throw new IOException("the manifest fails its CRC32C (0x" + Integer.toHexString(actual) + ", recorded 0x"
                    + Integer.toHexString(expected) + ")");
        }
        String[] lines = new String(bytes, 0, lastLine, StandardCharsets.UTF_8).split("\n");
        if (lines.length < 5 || !lines[0].equals(MAGIC)) {
            throw new IOException("not a GMQ snapshot manifest (version 1)");
        }
        try {
            long term = Long.parseLong(field(lines[1], "term")[0]);
            long index = Long.parseLong(field(lines[2], "index")[0]);
            long clock = Long.parseLong(field(lines[3], "clock")[0]);
            String[] db = field(lines[4], "db");
            SortedMap<String, String> addresses = new TreeMap<>();
            List<ReplicaCheckpoint.SegmentExtent> segments = new ArrayList<>();
            SortedMap<String, SortedMap<String, Long>> heartbeats = new TreeMap<>();
            for (int i = 5; i < lines.length; i++) {
                String[] f = lines[i].split(" ");
                switch (f[0]) {
                    case "address" -> addresses.put(dec(f[1]), dec(f[2]));
                    case "segment" ->
                        segments.add(new ReplicaCheckpoint.SegmentExtent(
                                new TopicPartition(dec(f[1]), Integer.parseInt(f[2])),
                                Long.parseLong(f[3]),
                                Long.parseLong(f[4]),
                                Long.parseLong(f[5]),
                                Long.parseLong(f[6])));
                    case "heartbeat" ->
                        heartbeats
                                .computeIfAbsent(dec(f[1]), g -> new TreeMap<>())
                                .put(dec(f[2]), Long.parseLong(f[3]));
                    default -> throw new IOException("unknown manifest line '" + lines[i] + "'");
                }
            }
            return new SnapshotManifest(
                    term,
                    index,
                    clock,
                    Long.parseLong(db[0]),
                    parseHex(db[1]),
                    addresses,
                    new ReplicaCheckpoint(segments, heartbeats));
        } catch (RuntimeException e) {
            throw new IOException("unreadable manifest: " + e, e);
        }
    }

    private static String[] field(String line, String name) throws IOException {
        if (!line.startsWith(name + " ")) {
            throw new IOException("expected a '" + name + "' line, found '" + line + "'");
        }
        return line.substring(name.length() + 1).split(" ");
    }

    static int crc(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }

    private static int parseHex(String hex) {
        return Integer.parseUnsignedInt(hex, 16);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String dec(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
