package io.gmq.net.cli;

import picocli.CommandLine.Option;

/**
 * {@code --output text|json} of the admin commands. JSON is one object per command on one line,
 * with the stable schemas of docs/OPERATIONS.md ("JSON output"); text is what the command always
 * printed.
 */
final class OutputOption {
    enum Format {
        TEXT,
        JSON
    }

    @Option(
            names = "--output",
            defaultValue = "text",
            paramLabel = "text|json",
            description = "Print the result as text or as one JSON object (default ${DEFAULT-VALUE}).")
    Format format;

    boolean json() {
        return format == Format.JSON;
    }

    /** Prints {@code json} (a complete JSON text) as one line. */
    static void print(JsonWriter json) {
        System.out.println(json);
    }
}
