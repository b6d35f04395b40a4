package io.gmq;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * The default of {@link GmqConfig#maxOpenFiles()}: half the process's open-file limit, read once
 * (on first use) from the JVM's {@code UnixOperatingSystemMXBean}; a fixed 4096 where the JVM does
 * not report the limit (Windows, other JVMs).
 */
final class OpenFileLimit {
    static final int FALLBACK = 4096;
    static final int MIN_DEFAULT = 64;
    static final int MAX_DEFAULT = 1 << 20;
    static final int DEFAULT_MAX_OPEN_FILES = derive();

    private OpenFileLimit() {}

    private static int derive() {
        long limit = processLimit();
        if (limit <= 0) {
            return FALLBACK;
        }
        return (int) Math.max(MIN_DEFAULT, Math.min(MAX_DEFAULT, limit / 2));
    }

    /** The process's open-file limit, or -1 if the JVM does not report it. */
    static long processLimit() {
        try {
            OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
                return unix.getMaxFileDescriptorCount();
            }
        } catch (RuntimeException | LinkageError notAvailable) {
            // no management support in this runtime: use the fallback
        }
        return -1;
    }
}
