package io.gmq.net.testing;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Captures System.out and System.err for each test of a command-line test class and restores
 * them, and System.in, after it: {@code @RegisterExtension final ConsoleCapture console = new
 * ConsoleCapture();}.
 */
public final class ConsoleCapture implements BeforeEachCallback, AfterEachCallback {
    private final PrintStream realOut = System.out;
    private final PrintStream realErr = System.err;
    private final InputStream realIn = System.in;
    private ByteArrayOutputStream out = new ByteArrayOutputStream();
    private ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Override
    public void beforeEach(ExtensionContext context) {
        out = new ByteArrayOutputStream();
        err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        System.setOut(realOut);
        System.setErr(realErr);
        System.setIn(realIn);
    }

    /** Forgets what was printed so far (before each command of a test). */
    public void reset() {
        out.reset();
        err.reset();
    }

    /** What the test printed to System.out so far. */
    public String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /** What the test printed to System.err so far. */
    public String err() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
