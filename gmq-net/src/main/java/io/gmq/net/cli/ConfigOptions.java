package io.gmq.net.cli;

import io.gmq.GmqConfig;
import io.gmq.GmqException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code --config FILE} and {@code --print-config} of the process commands.
 *
 * <p>The file is in Java properties format: one {@code key=value} a line, {@code #} comments, and
 * the keys are the command's flag names without {@code --} ({@code retention-age=7d}). Each value
 * is read exactly as the flag's would be, and only where the flag is not given: flags override
 * the file, the file overrides the defaults ({@link #install} makes the file picocli's default
 * value provider). A key that is not a flag of the command, one given twice, or a secret
 * ({@link #SECRETS}: they come from the environment or the command line, never from a file that
 * is copied around and checked in) is a usage error naming the key and the file, at parse time,
 * before anything starts. So is a bad value: picocli names the flag, {@link #install} adds the file.
 */
final class ConfigOptions {
    /**
     * Flags holding a secret, with the environment variable that supplies one when the flag is
     * absent. Shown as {@link #REDACTED}, refused in a config file.
     */
    static final Map<String, String> SECRETS = Map.of("storage-token", "GMQ_STORAGE_TOKEN");

    static final String REDACTED = "<redacted>";

    /** Options of a process command that are not settings, so not keys of a config file. */
    private static final Set<String> NOT_SETTINGS = Set.of("config", "print-config", "help", "version");

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    private Path path;
    private Map<String, String> values = Map.of();

    @Option(
            names = "--print-config",
            description = "Print every setting with its effective value and where it came from (default, file,"
                    + " flag, env), secrets redacted, and exit without starting.")
    boolean printConfig;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "Read settings from this properties file: key=value lines whose keys are this"
                    + " command's flag names without --. Flags given override it.")
    void configFile(Path file) {
        if (file == null) {
            return;
        }
        Map<String, String> read = read(file);
        for (String key : read.keySet()) {
            checkKey(file, key);
        }
        this.path = file;
        this.values = Collections.unmodifiableMap(read);
    }

    /** The config file, or null without {@code --config}. */
    Path path() {
        return path;
    }

    /** The value of {@code key} in the config file, or null. */
    String value(String key) {
        return values.get(key);
    }

    /** The config-file key of {@code option}: its longest name without the dashes. */
    static String key(OptionSpec option) {
        return option.longestName().replaceFirst("^-+", "");
    }

    /** The options of {@code command} that are settings (config-file keys), in key order. */
    static List<OptionSpec> settings(CommandSpec command) {
        List<OptionSpec> settings = new ArrayList<>();
        for (OptionSpec o : command.options()) {
            if (!o.usageHelp() && !o.versionHelp() && !NOT_SETTINGS.contains(key(o))) {
                settings.add(o);
            }
        }
        settings.sort((a, b) -> key(a).compareTo(key(b)));
        return settings;
    }

    /**
     * Builds {@code b}. A value {@link GmqConfig} refuses (out of range, or at odds with another) is
     * a usage error naming the flag, and the config file when the value came from there.
     */
    GmqConfig build(GmqConfig.Builder b) {
        try {
            return b.build();
        } catch (GmqException e) {
            OptionSpec option = optionOfSetting(e.getMessage());
            if (option == null) {
                throw new ParameterException(command.commandLine(), "invalid configuration: " + e.getMessage());
            }
            throw new ParameterException(
                    command.commandLine(),
                    "Invalid value for option '" + option.longestName() + "'" + fromFile(option) + ": "
                            + e.getMessage());
        }
    }

    /**
     * The option of the {@link GmqConfig} setting a build error starts with ("segmentBytes must
     * be ..."): the setting's name in kebab case, except the older {@code --partitions-default}.
     */
    private OptionSpec optionOfSetting(String message) {
        String setting = message.split("[^A-Za-z]", 2)[0];
        String key = setting.equals("defaultPartitions")
                ? "partitions-default"
                : setting.replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
        return command.findOption("--" + key);
    }

    /** " (from config file F)" when {@code option}'s value is the config file's, else "". */
    String fromFile(OptionSpec option) {
        CommandLine.ParseResult parsed = command.commandLine().getParseResult();
        boolean fromFile =
                path != null && values.containsKey(key(option)) && (parsed == null || !parsed.hasMatchedOption(option));
        return fromFile ? " (from config file " + path + ")" : "";
    }

    private void checkKey(Path file, String key) {
        if (SECRETS.containsKey(key)) {
            throw new ParameterException(
                    command.commandLine(),
                    "key '" + key + "' in config file " + file + " is a secret, and secrets stay out of config files:"
                            + " set " + SECRETS.get(key) + " or --" + key);
        }
        OptionSpec option = command.findOption("--" + key);
        if (option != null && !NOT_SETTINGS.contains(key) && key.equals(key(option))) {
            return;
        }
        List<String> usedBy = NOT_SETTINGS.contains(key) ? List.of() : otherProcessesWith(command, key);
        String message = usedBy.isEmpty()
                ? "unknown key '" + key + "' in config file " + file + ": the keys are the flags of `"
                        + command.qualifiedName() + " --help` without --"
                : "key '" + key + "' in config file " + file + " is not a setting of `" + command.name() + "` (only of "
                        + String.join(", ", usedBy) + ")";
        throw new ParameterException(command.commandLine(), message);
    }

    /** The other process commands (those with a config file) that have the setting {@code key}. */
    private static List<String> otherProcessesWith(CommandSpec command, String key) {
        List<String> found = new ArrayList<>();
        CommandSpec parent = command.parent();
        if (parent == null) {
            return found;
        }
        for (Map.Entry<String, CommandLine> e : new TreeMap<>(parent.subcommands()).entrySet()) {
            CommandSpec other = e.getValue().getCommandSpec();
            if (other != command && of(other) != null && other.findOption("--" + key) != null) {
                found.add(e.getKey());
            }
        }
        return found;
    }

    private Map<String, String> read(Path file) {
        Map<String, String> read = new TreeMap<>();
        // Properties calls put for each line in order: a key seen twice is refused, not last-wins.
        Properties p = new Properties() {
            @Override
            public synchronized Object put(Object key, Object value) {
                if (read.put((String) key, ((String) value).trim()) != null) {
                    throw new ParameterException(
                            command.commandLine(), "key '" + key + "' appears twice in config file " + file);
                }
                return null;
            }
        };
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new ParameterException(
                    command.commandLine(), "cannot read config file " + file + ": " + GmqCli.describe(e));
        }
        return read;
    }

    /** The {@link ConfigOptions} mixed into {@code command}, or null for a command without them. */
    static ConfigOptions of(CommandSpec command) {
        if (command == null) {
            return null;
        }
        for (CommandSpec mixin : command.mixins().values()) {
            if (mixin.userObject() instanceof ConfigOptions c) {
                return c;
            }
        }
        return null;
    }

    /**
     * Makes the config file of each process command the default values of its options; adds the
     * file to the usage error about a bad value that came from it, and to the usage error about a
     * flag of another process (a broker given {@code --flush}) the processes that take it.
     */
    static void install(CommandLine cl) {
        cl.setDefaultValueProvider(ConfigOptions::fileValue);
        IParameterExceptionHandler handler = cl.getParameterExceptionHandler();
        cl.setParameterExceptionHandler(
                (e, args) -> handler.handleParseException(namingOtherProcesses(namingFile(e)), args));
    }

    private static ParameterException namingOtherProcesses(ParameterException e) {
        if (!(e instanceof UnmatchedArgumentException unmatched)) {
            return e;
        }
        CommandSpec command = unmatched.getCommandLine().getCommandSpec();
        if (of(command) == null) {
            return e;
        }
        for (String arg : unmatched.getUnmatched()) {
            if (arg.startsWith("--")) {
                String flag = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
                List<String> usedBy = otherProcessesWith(command, flag.substring(2));
                if (!usedBy.isEmpty()) {
                    return new ParameterException(
                            e.getCommandLine(),
                            "Unknown option: '" + flag + "': `" + command.name() + "` does not use it, it is a setting"
                                    + " of " + String.join(", ", usedBy) + " (docs/OPERATIONS.md, \"Configuration\")");
                }
            }
        }
        return e;
    }

    private static String fileValue(ArgSpec arg) {
        ConfigOptions c = of(arg.command());
        if (c == null || c.path == null || !(arg instanceof OptionSpec option)) {
            return null;
        }
        String key = key(option);
        return NOT_SETTINGS.contains(key) ? null : c.values.get(key);
    }

    private static ParameterException namingFile(ParameterException e) {
        if (!(e.getArgSpec() instanceof OptionSpec option) || e.getMessage().contains("(from config file")) {
            return e;
        }
        ConfigOptions c = of(option.command());
        if (c == null || e.getValue() == null || !e.getValue().equals(c.value(key(option)))) {
            return e;
        }
        String from = c.fromFile(option);
        return from.isEmpty()
                ? e
                : new ParameterException(e.getCommandLine(), e.getMessage() + from, option, e.getValue());
    }
}
