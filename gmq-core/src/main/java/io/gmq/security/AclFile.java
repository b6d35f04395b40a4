package io.gmq.security;

import io.gmq.GmqException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Reads ACL entries from a text file, one rule per line:
 *
 * <pre>
 * # permission  principal  resource               operation(s)
 * allow         alice      topic:orders           publish
 * allow         alice      topic:orders.*         publish,describe
 * allow         bob        group:billing-*        consume
 * allow         *          topic:public.*         consume
 * deny          mallory    topic:*                all
 * allow         ops        cluster                admin
 * </pre>
 *
 * <ul>
 *   <li>Fields are separated by whitespace; blank lines and lines starting with {@code #} are
 *       ignored. Keywords are case-insensitive; principal and resource names are not.</li>
 *   <li>permission: {@code allow} or {@code deny}. A matching deny always wins.</li>
 *   <li>principal: a name, or {@code *} for every authenticated principal.</li>
 *   <li>resource: {@code topic:NAME}, {@code group:NAME} or {@code cluster}. A trailing {@code *}
 *       makes NAME a prefix ({@code topic:orders.*} matches {@code orders.eu}; {@code topic:*}
 *       matches every topic); {@code *} anywhere else is an error. {@code cluster} matches the
 *       cluster whatever name the caller uses for it.</li>
 *   <li>operations: one or more of {@code publish consume create describe delete admin all},
 *       comma-separated without spaces; each becomes one entry.</li>
 * </ul>
 *
 * A malformed line fails the whole load with its line number: a half-loaded ACL file could grant
 * or withhold more than the operator meant.
 */
public final class AclFile {
    private static final int FIELDS = 4;
    private static final String WILDCARD = "*";

    private AclFile() {}

    public static List<AclEntry> load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw GmqException.invalidArgument("cannot read ACL file " + file + ": " + e.getMessage());
        }
        return parse(lines, "ACL file " + file);
    }

    /** Parses lines in the format above; {@code source} names them in error messages. */
    public static List<AclEntry> parse(List<String> lines, String source) {
        List<AclEntry> entries = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = source + " line " + (i + 1) + ": ";
            try {
                entries.addAll(parseLine(line));
            } catch (GmqException | IllegalArgumentException e) {
                throw GmqException.invalidArgument(where + e.getMessage());
            }
        }
        return List.copyOf(entries);
    }

    private static List<AclEntry> parseLine(String line) {
        String[] fields = line.split("\\s+");
        if (fields.length != FIELDS) {
            throw new IllegalArgumentException("expected 'allow|deny PRINCIPAL RESOURCE OPERATIONS', got "
                    + fields.length + " field(s) in '" + line + "'");
        }
        Permission permission = keyword(Permission.class, fields[0], "permission");
        String principal = fields[1];
        String resource = fields[2];
        ResourceType type;
        PatternType pattern;
        String name;
        int colon = resource.indexOf(':');
        if (colon < 0) {
            type = keyword(ResourceType.class, resource, "resource");
            if (type != ResourceType.CLUSTER) {
                throw new IllegalArgumentException("resource '" + resource + "' needs a name, e.g. '"
                        + resource.toLowerCase(Locale.ROOT) + ":orders'");
            }
            pattern = PatternType.PREFIXED;
            name = "";
        } else {
            type = keyword(ResourceType.class, resource.substring(0, colon), "resource type");
            name = resource.substring(colon + 1);
            pattern = name.endsWith(WILDCARD) ? PatternType.PREFIXED : PatternType.LITERAL;
            if (pattern == PatternType.PREFIXED) {
                name = name.substring(0, name.length() - WILDCARD.length());
            }
            if (name.contains(WILDCARD)) {
                throw new IllegalArgumentException(
                        "'*' is only allowed at the end of a resource name, got '" + resource + "'");
            }
            if (name.isEmpty() && pattern == PatternType.LITERAL) {
                throw new IllegalArgumentException(
                        "resource '" + resource + "' has an empty name; use '" + resource + "*' to match every name");
            }
        }
        List<AclEntry> entries = new ArrayList<>();
        for (String op : fields[3].split(",", -1)) {
            Operation operation = keyword(Operation.class, op, "operation");
            entries.add(new AclEntry(principal, type, pattern, name, operation, permission));
        }
        return entries;
    }

    private static <E extends Enum<E>> E keyword(Class<E> type, String word, String what) {
        try {
            return Enum.valueOf(type, word.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            String expected = Arrays.stream(type.getEnumConstants())
                    .map(c -> c.name().toLowerCase(Locale.ROOT))
                    .collect(Collectors.joining(", "));
            throw new IllegalArgumentException("unknown " + what + " '" + word + "', expected one of: " + expected);
        }
    }
}
