package io.gmq.net.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A free port on 127.0.0.1 for a listener whose address must be known before it starts (a Raft
 * peer list names every node's port up front). Picked below the kernel's ephemeral range, so no
 * port-0 listener and no outgoing connection of the test can take it between the pick and the
 * bind; checked free by binding it once.
 */
public final class FreePorts {
    private static final int LOWEST = 10_000;

    private FreePorts() {}

    public static int pick() {
        int ephemeralStart = ephemeralRangeStart();
        if (ephemeralStart - LOWEST < 1_000) {
            return ephemeral();
        }
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, ephemeralStart);
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
                return s.getLocalPort();
            } catch (IOException e) {
                // taken: try another
            }
        }
        return ephemeral();
    }

    private static int ephemeral() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int ephemeralRangeStart() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return LOWEST; // unknown: fall back to a port-0 pick
        }
    }
}
