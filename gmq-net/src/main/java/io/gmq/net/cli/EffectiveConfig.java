package io.gmq.net.cli;

import io.gmq.GmqConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The settings a process command runs with: every config-file key of the command, its effective
 * value and where that came from. Printed by {@code --print-config}, logged at start; secrets
 * ({@link ConfigOptions#SECRETS}) show as {@link ConfigOptions#REDACTED}.
 */
record EffectiveConfig(String command, List<Setting> settings) {
    /** Where a value came from, in the order of precedence (a flag beats the environment, ...). */
    enum Source {
        FLAG("flags"),
        ENV("the environment"),
        FILE("config file"),
        DEFAULT("defaults"),
        UNSET("not set");

        private final String name;

        Source(String name) {
            this.name = name;
        }

        /** "from flags", "from config file F", ..., "not set". */
        String heading(Path configFile) {
            return switch (this) {
                case FILE -> "from config file " + configFile;
                case UNSET -> name;
                default -> "from " + name;
            };
        }
    }

    /** One setting; {@code value} is null for an option that is not set and has no default. */
    record Setting(String key, String value, Source source) {}

    /**
     * Settings whose option may be unset while the engine still has a value, derived by
     * {@link GmqConfig} (or written differently there); shown as the engine has it.
     */
    private static final Map<String, Function<GmqConfig, Object>> FROM_ENGINE = Map.of(
            "max-open-files",
            GmqConfig::maxOpenFiles,
            "max-batch-bytes",
            GmqConfig::maxBatchBytes,
            "max-message-bytes",
            GmqConfig::maxMessageBytes,
            "retention-age",
            c -> c.retentionAge() == null ? SettingSyntax.RetentionAge.FOREVER : c.retentionAge());

    static EffectiveConfig of(ConfigOptions options, GmqConfig config) {
        CommandSpec command = options.command;
        ParseResult parsed = command.commandLine().getParseResult();
        List<Setting> settings = new ArrayList<>();
        for (OptionSpec option : ConfigOptions.settings(command)) {
            String key = ConfigOptions.key(option);
            Source source;
            if (parsed != null && parsed.hasMatchedOption(option)) {
                source = Source.FLAG;
            } else if (options.value(key) != null) {
                source = Source.FILE;
            } else if (ConfigOptions.SECRETS.containsKey(key) && isSet(System.getenv(ConfigOptions.SECRETS.get(key)))) {
                source = Source.ENV;
            } else {
                source = Source.DEFAULT;
            }
            Object value = FROM_ENGINE.containsKey(key) ? FROM_ENGINE.get(key).apply(config) : option.getValue();
            String text;
            if (ConfigOptions.SECRETS.containsKey(key)) {
                text = source == Source.DEFAULT ? null : ConfigOptions.REDACTED;
            } else {
                text = format(value);
            }
            settings.add(new Setting(key, text, text == null ? Source.UNSET : source));
        }
        return new EffectiveConfig(command.qualifiedName(), List.copyOf(settings));
    }

    private static boolean isSet(String env) {
        return env != null && !env.isEmpty();
    }

    private static String format(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Duration d) {
            return SettingSyntax.formatDuration(d);
        }
        if (value instanceof Path p) {
            return p.toString();
        }
        return String.valueOf(value);
    }

    /** The value shown for {@code key}, or null if the command has no such setting or it is not set. */
    String value(String key) {
        return settings.stream()
                .filter(s -> s.key.equals(key))
                .map(Setting::value)
                .findFirst()
                .orElse(null);
    }

    /** The source of {@code key}'s value, or null if the command has no such setting. */
    Source source(String key) {
        return settings.stream()
                .filter(s -> s.key.equals(key))
                .map(Setting::source)
                .findFirst()
                .orElse(null);
    }

    /**
     * Writes the settings as a properties file grouped by source, each group under a comment; a
     * setting that is not set, and a secret, is a comment. The output is a config file that starts
     * the same process (given its secrets as before).
     */
    void print(PrintStream out, Path configFile) {
        out.println("# " + command + ": effective configuration (secrets redacted)");
        for (Source source : Source.values()) {
            List<Setting> group =
                    settings.stream().filter(s -> s.source == source).toList();
            if (group.isEmpty()) {
                continue;
            }
            out.println("# " + source.heading(configFile));
            for (Setting s : group) {
                // A secret or an unset key is a comment, so the output loads as a config file.
                boolean comment = s.value == null || s.value.equals(ConfigOptions.REDACTED);
                out.println((comment ? "# " : "") + s.key + "=" + (s.value == null ? "" : s.value));
            }
        }
    }

    /** One line for the log: the settings by source; those not set are left out. */
    String logLine(Path configFile) {
        StringBuilder line = new StringBuilder(command + " configuration:");
        for (Source source : Source.values()) {
            if (source == Source.UNSET) {
                continue;
            }
            String group = settings.stream()
                    .filter(s -> s.source == source)
                    .map(s -> s.key + "=" + s.value)
                    .collect(Collectors.joining(", "));
            if (!group.isEmpty()) {
                line.append(" [")
                        .append(source.heading(configFile))
                        .append("] ")
                        .append(group);
            }
        }
        return line.toString();
    }
}
