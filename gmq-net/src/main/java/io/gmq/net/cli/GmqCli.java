package io.gmq.net.cli;

import ch.qos.logback.classic.Level;
import io.gmq.GmqException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code java -jar gmq.jar <command>}: the GMQ processes (server, storage, broker) and the
 * command-line tools (topics, produce, consume, groups, cluster, perf, verify, ping, health,
 * completion).
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
            ProbeCommands.Ping.class,
            ProbeCommands.Health.class,
            CompletionCommand.class,
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

    @Option(
            names = "--log-level",
            scope = ScopeType.INHERIT,
            paramLabel = "LEVEL[,LOGGER=LEVEL...]",
            converter = Logging.LevelsConverter.class,
            description = "Log level: trace, debug, info, warn, error or off, then optionally LOGGER=LEVEL pairs"
                    + " (info,io.grpc=debug). Default: info for server, storage and broker, warn for the tools."
                    + " Logs go to standard error.")
    Logging.Levels logLevels;

    @Option(
            names = "--log-format",
            scope = ScopeType.INHERIT,
            defaultValue = "text",
            paramLabel = "text|json",
            description = "Log lines as text, or one JSON object per line (default ${DEFAULT-VALUE}).")
    Logging.Format logFormat;

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
        cl.setExecutionStrategy(GmqCli::execute);
        return cl.execute(args);
    }

    /** Configures logging for the command about to run, then runs it. */
    private static int execute(CommandLine.ParseResult parsed) {
        GmqCli root = parsed.commandSpec().commandLine().getCommand();
        List<CommandLine> commands = parsed.asCommandLineList();
        Object command = commands.get(commands.size() - 1).getCommand();
        // The processes report their life at INFO; the tools print results and stay quiet.
        Level defaultLevel = command instanceof ServeCommands.ProcessOptions ? Level.INFO : Level.WARN;
        Logging.configure(
                root.logLevels != null ? root.logLevels : new Logging.Levels(null, java.util.Map.of()),
                defaultLevel,
                root.logFormat);
        return new CommandLine.RunLast().execute(parsed);
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
