package io.gmq.net.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code java -jar gmq.jar ...} child process. Its standard output and error go to files (so
 * it never blocks on a full pipe); the port comes from the first line, {@code listening on HOST:PORT}.
 * A process can be suspended ({@link #suspend()}, SIGSTOP) and resumed; {@link #close()} resumes
 * a suspended one first, so a failing test never leaves a stopped JVM behind.
 */
final class GmqProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on ([^:]+):(\\d+)");

    final String name;
    final Process process;
    final Path stdout;
    final Path stderr;
    final int port;

    private volatile boolean suspended;

    private GmqProcess(String name, Process process, Path stdout, Path stderr, int port) {
        this.name = name;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.port = port;
    }

    static GmqProcess start(String name, Path logDir, String... args) throws IOException {
        return start(name, logDir, List.of(), args);
    }

    /** Starts {@code java [jvmArgs] -jar gmq.jar args} (system properties, say). */
    static GmqProcess start(String name, Path logDir, List<String> jvmArgs, String... args) throws IOException {
        String jar = System.getProperty("gmq.jar", "target/gmq.jar");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.addAll(jvmArgs);
        cmd.add("-jar");
        cmd.add(jar);
        cmd.addAll(List.of(args));
        Path out = logDir.resolve(name + ".out");
        Path err = logDir.resolve(name + ".err");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            String text = Files.readString(out, StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            if (nl >= 0) {
                Matcher m = LISTENING.matcher(text.substring(0, nl));
                if (!m.matches()) {
                    p.destroyForcibly();
                    throw new IllegalStateException(name + ": first line is not 'listening on': " + text);
                }
                return new GmqProcess(name, p, out, err, Integer.parseInt(m.group(2)));
            }
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException(
                        name + " did not start: " + Files.readString(err, StandardCharsets.UTF_8));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** SIGKILL: no shutdown hook runs, nothing is committed or left cleanly. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGSTOP: the JVM freezes (its sockets stay open, the kernel still accepts connections). */
    void suspend() throws IOException, InterruptedException {
        suspended = true;
        signal("STOP");
    }

    /** SIGCONT after {@link #suspend()}. */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
        suspended = false;
    }

    /** {@code ProcessHandle} sends no signals but TERM and KILL; {@code kill(1)} sends the others. */
    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                .redirectErrorStream(true)
                .start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            kill.destroyForcibly();
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed: "
                    + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (suspended && process.isAlive()) {
            try {
                resume(); // a stopped JVM would not run its shutdown hook on SIGTERM
            } catch (IOException | RuntimeException e) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (process.isAlive()) {
            process.destroy(); // SIGTERM: the shutdown hook drains and commits
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
