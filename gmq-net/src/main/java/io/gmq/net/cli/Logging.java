package io.gmq.net.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;

/**
 * The logging of gmq.jar: logback writing to standard error (standard output belongs to the
 * commands: "listening on ...", JSON, consumed messages), java.util.logging (gRPC) bridged into it,
 * configured once per command line from {@code --log-level} and {@code --log-format} before the
 * command runs. Libraries (gmq-core, gmq-client, gmq-net as a dependency) log through the SLF4J API
 * only; this class is the one place that knows the backend.
 */
final class Logging {
    /** The text layout: time, level, thread, logger, message; a stack trace on the lines below. */
    static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger - %msg%n";

    /**
     * Quieter loggers at the default levels: Apache Ratis reports each retry of a proposal that met
     * a follower or an election as an error, and GMQ reports the proposal's outcome itself;
     * elections and role changes stay visible (rare, and they explain a pause in service).
     */
    private static final Map<String, Level> QUIETER = quieter();

    private static final String ORDERED_ASYNC = "org.apache.ratis.client.impl.OrderedAsync";

    enum Format {
        TEXT,
        JSON
    }

    /**
     * {@code --log-level}: a level for everything, then optionally {@code LOGGER=LEVEL} pairs for
     * single loggers and their children, e.g. {@code info,io.grpc=debug}.
     */
    record Levels(Level root, Map<String, Level> loggers) {
        static Levels parse(String spec) {
            Level root = null;
            Map<String, Level> loggers = new LinkedHashMap<>();
            for (String part : spec.split(",", -1)) {
                String p = part.trim();
                int eq = p.indexOf('=');
                if (eq < 0) {
                    if (root != null) {
                        throw new IllegalArgumentException(
                                "give one level for everything, then LOGGER=LEVEL pairs: '" + spec + "'");
                    }
                    root = level(p);
                } else if (eq == 0) {
                    throw new IllegalArgumentException("'" + p + "' names no logger (LOGGER=LEVEL)");
                } else {
                    loggers.put(p.substring(0, eq).trim(), level(p.substring(eq + 1)));
                }
            }
            return new Levels(root, loggers);
        }

        private static Level level(String name) {
            String n = name.trim().toUpperCase(Locale.ROOT);
            return switch (n) {
                case "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF" -> Level.toLevel(n);
                default ->
                    throw new IllegalArgumentException(
                            "unknown log level '" + name.trim() + "': trace, debug, info, warn, error or off");
            };
        }
    }

    /** Picocli converter of {@code --log-level}: a bad value is a usage error (exit 2). */
    static final class LevelsConverter implements CommandLine.ITypeConverter<Levels> {
        @Override
        public Levels convert(String value) {
            try {
                return Levels.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    private Logging() {}

    /**
     * (Re)configures logging: {@code levels} over {@code defaultLevel} (the root level when {@code
     * levels} has none), lines in {@code format} on standard error. Replaces any earlier
     * configuration of this JVM.
     */
    static void configure(Levels levels, Level defaultLevel, Format format) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();

        // JUL records become SLF4J events; the propagator sets JUL's levels from logback's, so a
        // disabled JUL record costs no bridging.
        LevelChangePropagator propagator = new LevelChangePropagator();
        propagator.setContext(context);
        propagator.setResetJUL(true);
        context.addListener(propagator);
        propagator.start();
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();

        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("stderr");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder(context, format));
        stderr.start();

        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level rootLevel = levels.root() != null ? levels.root() : defaultLevel;
        root.setLevel(rootLevel);
        root.addAppender(stderr);
        if (rootLevel == Level.INFO) {
            QUIETER.forEach((name, level) -> context.getLogger(name).setLevel(level));
        } else if (rootLevel.isGreaterOrEqual(Level.INFO)) {
            context.getLogger(ORDERED_ASYNC).setLevel(Level.OFF);
        }
        levels.loggers().forEach((name, level) -> context.getLogger(name).setLevel(level));
    }

    private static Encoder<ILoggingEvent> encoder(LoggerContext context, Format format) {
        if (format == Format.JSON) {
            JsonLogEncoder json = new JsonLogEncoder();
            json.setContext(context);
            json.start();
            return json;
        }
        PatternLayoutEncoder text = new PatternLayoutEncoder();
        text.setContext(context);
        text.setPattern(TEXT_PATTERN);
        text.start();
        return text;
    }

    private static Map<String, Level> quieter() {
        Map<String, Level> m = new LinkedHashMap<>();
        m.put("org.apache.ratis", Level.WARN);
        m.put(ORDERED_ASYNC, Level.OFF);
        m.put("org.apache.ratis.server.impl.LeaderElection", Level.INFO);
        m.put("org.apache.ratis.server.impl.RaftServerImpl", Level.INFO);
        return Map.copyOf(m);
    }
}
