package io.gmq.net.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the operating system and the JDK's {@code jcmd} tell about a running server process:
 * open descriptors and resident memory from {@code /proc/<pid>} (Linux), live heap and live gRPC
 * server transports from a class histogram (which runs a full GC first, so it counts live objects
 * only). Each figure is -1 when its source is missing on this machine.
 */
final class ProcessFacts {
    /** The class of which grpc-netty keeps one instance per server-side connection. */
    static final String SERVER_HANDLER = "io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler";

    private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)\\s*$");
    private static final Pattern RSS = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB");

    /** Live heap after a full GC, and the live instances of {@link #SERVER_HANDLER}. */
    record Heap(long liveBytes, long serverTransports) {
        static final Heap UNKNOWN = new Heap(-1, -1);

        String mib() {
            return liveBytes < 0 ? "n/a" : String.format("%.1f MiB", liveBytes / (1024.0 * 1024.0));
        }
    }

    private ProcessFacts() {}

    static boolean procAvailable() {
        return Files.isDirectory(Path.of("/proc/self/fd"));
    }

    static long openDescriptors(long pid) {
        Path fd = Path.of("/proc", Long.toString(pid), "fd");
        if (!Files.isDirectory(fd)) {
            return -1;
        }
        try (Stream<Path> s = Files.list(fd)) {
            return s.count();
        } catch (IOException gone) {
            return -1;
        }
    }

    static long residentKib(long pid) {
        try {
            Matcher m = RSS.matcher(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        } catch (IOException gone) {
            return -1;
        }
    }

    /** The soft limit on open files of {@code pid}, or -1 if unknown. */
    static long maxOpenFiles(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "limits"))) {
                if (line.startsWith("Max open files")) {
                    String soft =
                            line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException unknown) {
            return -1;
        }
        return -1;
    }

    static Heap heap(long pid) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            return Heap.UNKNOWN;
        }
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.class_histogram")
                    .redirectErrorStream(true)
                    .start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return Heap.UNKNOWN;
            }
            String text = new String(out, StandardCharsets.UTF_8);
            Matcher total = TOTAL.matcher(text);
            if (!total.find()) {
                return Heap.UNKNOWN;
            }
            long transports = 0;
            Matcher handler = Pattern.compile(
                            "(?m)^\\s*\\d+:\\s+(\\d+)\\s+\\d+\\s+" + Pattern.quote(SERVER_HANDLER) + "\\s")
                    .matcher(text);
            if (handler.find()) {
                transports = Long.parseLong(handler.group(1));
            }
            return new Heap(Long.parseLong(total.group(2)), transports);
        } catch (IOException e) {
            return Heap.UNKNOWN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Heap.UNKNOWN;
        }
    }
}
