package io.gmq.internal.state;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.jar.JarEntry;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps sqlite-jdbc's native library in a per-user cache so that a fresh JVM loads it instead of
 * extracting it again.
 *
 * <p>Left alone, sqlite-jdbc writes its ~1 MB library to {@code java.io.tmpdir} under a new random
 * name in every JVM, and first runs {@code uname -o} in a child process to tell Android from Linux:
 * together about a third of a fresh JVM's first {@code Gmq.open} (docs/PERFORMANCE.md, "Cold
 * open"), and a JVM killed with -9 leaves its copy behind. Here the library of this platform is
 * copied once to {@code ~/.cache/gmq/sqlite-<crc32>/<platform>/} (content-addressed: a new
 * sqlite-jdbc gets a new directory), compared byte for byte with the jar's copy at every start, and
 * named to sqlite-jdbc through its documented {@code org.sqlite.lib.path}/{@code org.sqlite.lib.name}
 * properties.
 *
 * <p>Nothing changes when the application already set {@code org.sqlite.lib.path}, when the platform
 * is not one of the common ones below (Android included), when the home directory cannot be written,
 * or when {@code -Dgmq.sqlite.nativeCache=false}: sqlite-jdbc then extracts as it always does. The
 * cache is under the user's home, never a shared temporary directory, so no other user can put a
 * library where this JVM loads one from.
 */
final class SqliteNativeCache {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteNativeCache.class);
    static final String PATH_PROPERTY = "org.sqlite.lib.path";
    static final String NAME_PROPERTY = "org.sqlite.lib.name";
    static final String SWITCH_PROPERTY = "gmq.sqlite.nativeCache";

    private static boolean done;

    private SqliteNativeCache() {}

    /** Points sqlite-jdbc at the cached library if it can; idempotent, cheap after the first call. */
    static synchronized void prepare() {
        if (done) {
            return;
        }
        done = true;
        if (System.getProperty(PATH_PROPERTY) != null
                || !Boolean.parseBoolean(System.getProperty(SWITCH_PROPERTY, "true"))) {
            return;
        }
        String platform = platformFolder(
                System.getProperty("os.name", ""),
                System.getProperty("os.arch", ""),
                Files.exists(Path.of("/system/build.prop")));
        if (platform == null) {
            return;
        }
        String home = System.getProperty("user.home");
        if (home == null || home.isEmpty() || home.equals("?")) {
            return;
        }
        try {
            Path file = cache(Path.of(home, ".cache", "gmq"), platform);
            if (file != null) {
                System.setProperty(PATH_PROPERTY, file.getParent().toString());
                System.setProperty(NAME_PROPERTY, file.getFileName().toString());
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("sqlite native library not cached ({}); sqlite-jdbc extracts its own copy", e.toString());
        }
    }

    /**
     * Copies the jar's library of {@code platform} into {@code root} unless an identical copy is
     * there already; returns the file, or null if the jar has no library for the platform.
     *
     * <p>"Identical" is checked against the CRC-32 that the jar's directory records for the entry,
     * so a start with a good cached copy reads the cached file once and inflates nothing.
     */
    static Path cache(Path root, String platform) throws IOException {
        String name = System.mapLibraryName("sqlitejdbc");
        URL url = SqliteNativeCache.class.getResource("/org/sqlite/native/" + platform + "/" + name);
        if (url == null) {
            return null;
        }
        URLConnection connection = url.openConnection();
        connection.setUseCaches(false); // a cached JarFile would stay open after this
        long size;
        long crc;
        if (connection instanceof JarURLConnection jar) {
            JarEntry entry = jar.getJarEntry();
            size = entry.getSize();
            crc = entry.getCrc();
            jar.getJarFile().close();
        } else {
            // Classes directory (tests, IDEs): no recorded CRC, compute it.
            byte[] lib;
            try (InputStream in = connection.getInputStream()) {
                lib = in.readAllBytes();
            }
            size = lib.length;
            crc = crc32(lib);
        }
        if (size < 0 || crc < 0) {
            return null;
        }
        Path dir = root.resolve("sqlite-" + Long.toHexString(crc)).resolve(platform);
        Path file = dir.resolve(name);
        if (Files.isRegularFile(file) && Files.size(file) == size && crc32(Files.readAllBytes(file)) == crc) {
            return file;
        }
        byte[] lib;
        try (InputStream in = url.openStream()) {
            lib = in.readAllBytes();
        }
        if (lib.length != size || crc32(lib) != crc) {
            return null; // the jar changed under us: leave the loading to sqlite-jdbc
        }
        Files.createDirectories(dir);
        // A private temporary name, then one rename: a reader never loads a half-written library,
        // and two JVMs filling the cache at once each rename a whole copy.
        Path tmp = Files.createTempFile(dir, name, ".tmp");
        try {
            Files.write(tmp, lib);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }

    private static long crc32(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    /**
     * sqlite-jdbc's folder for the platforms decided without a child process, or null (sqlite-jdbc
     * then decides, as it always does).
     */
    static String platformFolder(String osName, String osArch, boolean android) {
        String arch = switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> null;
        };
        String os = osName.toLowerCase(Locale.ROOT);
        if (arch == null || android) {
            return null;
        }
        if (os.startsWith("linux")) {
            return (musl() ? "Linux-Musl/" : "Linux/") + arch;
        }
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            return "Mac/" + arch;
        }
        if (os.startsWith("windows")) {
            return "Windows/" + arch;
        }
        return null;
    }

    /** Whether this process runs on musl libc: its C library shows in the process's own mappings. */
    private static boolean musl() {
        try {
            return Files.readString(Path.of("/proc/self/maps")).contains("musl");
        } catch (IOException | RuntimeException e) {
            return org.sqlite.util.OSInfo.isMusl(); // sqlite-jdbc's own, slower check
        }
    }
}
