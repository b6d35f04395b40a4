package io.gmq.net.cli;

import io.gmq.broker.Storages;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gmq verify}: an offline scan of a data directory's segments (every frame's CRC32C, offset
 * continuity within and across segments, index entries). Opens every file read-only and changes
 * nothing; run it on a stopped server's directory or a copy. Segments are read with what the commit
 * journal of an unclean stop still holds for them applied, as the next start will see them.
 *
 * <p>Exit codes: 0 nothing damaged, {@value #EXIT_DAMAGED} damage found (each stretch printed), 1
 * the scan itself failed (e.g. not a data directory), 2 a usage error.
 */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        description = "Checks every stored batch of a (stopped) data directory; prints each damaged range."
                + " Exit 0: intact, 3: damage found.")
final class VerifyCommand implements Callable<Integer> {
    static final int EXIT_DAMAGED = 3;

    @Option(names = "--data-dir", required = true, description = "The data directory to check.")
    Path dataDir;

    @Option(names = "--topic", description = "Only this topic (default: all).")
    String topic;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        long started = System.nanoTime();
        Storages.VerifyReport report = Storages.verify(dataDir, topic);
        long millis = (System.nanoTime() - started) / 1_000_000;
        if (report.journalEntries() > 0) {
            out.println("journal: " + report.journalEntries()
                    + " commit journal entries left by an unclean stop; the next start copies them into their"
                    + " segments, and the segments were checked with them applied");
        }
        for (Storages.Damage d : report.damage()) {
            out.println("DAMAGED " + d.description());
            if (d.losesRecords()) {
                String to = d.toOffset() >= 0 ? "--to-offset " + d.toOffset() : "--to-latest";
                out.println("  to skip it: java -jar gmq.jar groups reset --group <group> --topic "
                        + d.partition().topic() + " --partition "
                        + d.partition().partition() + " " + to + " --execute");
            }
        }
        out.printf(
                "%s: %d segment(s), %d bytes checked in %d ms, %d damaged range(s)%n",
                report.clean() ? "intact" : "damaged",
                report.segments(),
                report.bytes(),
                millis,
                report.damage().size());
        out.flush();
        return report.clean() ? 0 : EXIT_DAMAGED;
    }
}
