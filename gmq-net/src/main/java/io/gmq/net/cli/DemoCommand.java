package io.gmq.net.cli;

import io.gmq.demo.EmbeddedDemo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "A one-minute tour of the embedded engine (no server needed).")
final class DemoCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", description = "Passed to the demo.")
    String[] args = new String[0];

    @Override
    public Integer call() throws Exception {
        EmbeddedDemo.main(args);
        return 0;
    }
}
