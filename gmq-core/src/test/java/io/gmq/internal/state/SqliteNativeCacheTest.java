package io.gmq.internal.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteNativeCacheTest {
    private static final String LINUX = "Linux/x86_64";

    @TempDir
    Path root;

    @Test
    void theFirstStartCopiesTheJarsLibraryAndLaterStartsReuseIt() throws Exception {
        Path first = SqliteNativeCache.cache(root, LINUX);
        assertNotNull(first);
        assertArrayEquals(jarCopy(LINUX), Files.readAllBytes(first));
        FileTime written = FileTime.fromMillis(1_000);
        Files.setLastModifiedTime(first, written);

        Path second = SqliteNativeCache.cache(root, LINUX);
        assertEquals(first, second);
        assertEquals(written, Files.getLastModifiedTime(second), "an intact copy is not written again");
    }

    @Test
    void aDamagedCachedCopyIsReplaced() throws Exception {
        Path file = SqliteNativeCache.cache(root, LINUX);
        byte[] damaged = Files.readAllBytes(file);
        damaged[damaged.length / 2] ^= 0x40;
        Files.write(file, damaged);

        assertEquals(file, SqliteNativeCache.cache(root, LINUX));
        assertArrayEquals(jarCopy(LINUX), Files.readAllBytes(file));
    }

    @Test
    void aTruncatedCachedCopyIsReplaced() throws Exception {
        Path file = SqliteNativeCache.cache(root, LINUX);
        Files.write(file, new byte[] {1, 2, 3});

        SqliteNativeCache.cache(root, LINUX);
        assertArrayEquals(jarCopy(LINUX), Files.readAllBytes(file));
    }

    @Test
    void aPlatformTheJarHasNoLibraryForIsLeftToSqliteJdbc() throws Exception {
        assertNull(SqliteNativeCache.cache(root, "Linux/no-such-arch"));
        try (var files = Files.list(root)) {
            assertEquals(0, files.count(), "nothing written");
        }
    }

    @Test
    void platformsAreNamedAsSqliteJdbcNamesThem() {
        assertEquals("Mac/aarch64", SqliteNativeCache.platformFolder("Mac OS X", "aarch64", false));
        assertEquals("Windows/x86_64", SqliteNativeCache.platformFolder("Windows 11", "amd64", false));
        String linux = SqliteNativeCache.platformFolder("Linux", "amd64", false);
        assertEquals(true, linux.equals("Linux/x86_64") || linux.equals("Linux-Musl/x86_64"), linux);
        // Decided by sqlite-jdbc itself: Android, and architectures other than x86_64 and aarch64.
        assertNull(SqliteNativeCache.platformFolder("Linux", "aarch64", true));
        assertNull(SqliteNativeCache.platformFolder("Linux", "riscv64", false));
        assertNull(SqliteNativeCache.platformFolder("FreeBSD", "amd64", false));
    }

    private static byte[] jarCopy(String platform) throws Exception {
        String name = System.mapLibraryName("sqlitejdbc");
        try (InputStream in =
                SqliteNativeCache.class.getResourceAsStream("/org/sqlite/native/" + platform + "/" + name)) {
            return in.readAllBytes();
        }
    }
}
