package io.gmq.net.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code java [jvmArgs] -jar gmq.jar args} child process whose start may legitimately fail, with
 * extra JVM flags (a small heap, say). Unlike {@link GmqProcess} it reports a process that exits
 * before announcing its port as a result, with its real exit code, instead of an exception.
 *
 * @param process the running process, or null if it exited during startup
 * @param port the announced port (0 if it exited)
 * @param exitCode the exit code if it exited during startup
 */
record Launch(Process process, int port, int exitCode, Path stdout, Path stderr) implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on ([^:]+):(\\d+)");

    static Launch start(String name, Path logs, List<String> jvmArgs, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.addAll(jvmArgs); // later flags win, so these may override the heap above
        cmd.add("-jar");
        cmd.add(System.getProperty("gmq.jar", "target/gmq.jar"));
        cmd.addAll(List.of(args));
        Path out = logs.resolve(name + ".out");
        Path err = logs.resolve(name + ".err");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String text = Files.readString(out, StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            if (nl >= 0) {
                Matcher m = LISTENING.matcher(text.substring(0, nl));
                if (m.matches()) {
                    return new Launch(p, Integer.parseInt(m.group(2)), 0, out, err);
                }
            }
            if (p.waitFor(20, TimeUnit.MILLISECONDS)) {
                return new Launch(null, 0, p.exitValue(), out, err);
            }
        }
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError(name + " neither started nor exited within 60 s");
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    String output() throws IOException {
        return Files.readString(stdout) + Files.readString(stderr);
    }

    /** SIGTERM, then SIGKILL if it does not stop within 15 s. */
    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
