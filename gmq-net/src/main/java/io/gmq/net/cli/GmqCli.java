package io.gmq.net.cli;

import io.gmq.GmqException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar gmq.jar <command>}: the GMQ processes (server, storage, broker) and the
 * command-line tools (topics, produce, consume, groups, perf, verify).
 *
 * <p>Exit codes: 0 success, 1 a GMQ error (printed as one line, no stack trace), 2 a usage error,
 * 3 {@code verify} found damage.
 */
@Command(
        name = "gmq",
        mixinStandardHelpOptions = true,
        versionProvider = GmqCli.Version.class,
        description = "GMQ: a partitioned, persistent message queue.",
        subcommands = {
            ServeCommands.Server.class,
            ServeCommands.StorageProcess.class,
            ServeCommands.Broker.class,
            TopicsCommand.class,
            ProduceCommand.class,
            ConsumeCommand.class,
            GroupsCommand.class,
            ClusterCommand.class,
            DemoCommand.class,
            PerfCommand.class,
            VerifyCommand.class,
        })
public final class GmqCli implements Runnable {
    /** {@code gmq --version}: the project's version, written into version.properties by the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            java.util.Properties p = new java.util.Properties();
            try (var in = GmqCli.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"GMQ " + p.getProperty("version", "(version unknown: not built by Maven)")};
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (for tests and {@link #main}). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new GmqCli());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        ConfigOptions.install(cl);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            err.println("error: " + describe(e));
            err.flush();
            return 1;
        });
        return cl.execute(args);
    }

    static String describe(Throwable e) {
        if (e instanceof GmqException g) {
            return g.getMessage();
        }
        if (e instanceof UncheckedIOException u) {
            return u.getMessage();
        }
        if (e instanceof java.nio.file.NoSuchFileException n) {
            return "no such file or directory: " + n.getMessage();
        }
        if (e instanceof java.io.IOException io && io.getMessage() != null) {
            return io.getMessage();
        }
        return e.toString();
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }
}
