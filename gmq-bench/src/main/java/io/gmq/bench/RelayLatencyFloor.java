package io.gmq.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The least a network end-to-end message can cost on a machine: what {@code perf e2e} measures,
 * with every layer of GMQ taken away. Answers "how much of the end-to-end tail is the machine's".
 *
 * <pre>
 * java -cp gmq-bench/target/benchmarks.jar io.gmq.bench.RelayLatencyFloor server PORT DIR sync|none
 * java -cp gmq-bench/target/benchmarks.jar io.gmq.bench.RelayLatencyFloor client HOST:PORT RECORDS RATE SIZE [WARMUP]
 * </pre>
 *
 * The client opens two TCP connections to the relay, one to send on and one to receive on, and
 * sends {@code SIZE}-byte messages at {@code RATE} per second from one thread, each carrying its
 * intended send time. The relay (one thread, blocking sockets) reads a message and every whole
 * message already received behind it, appends them to a file, forces the file once ({@code sync};
 * {@code none} skips the force) and writes them to the receiving connection; a second client thread reads it and records now minus the intended send
 * time in an HdrHistogram (coordinated omission corrected). Per message that is one network hop
 * in, one write and one fdatasync, one hop out and two thread wake-ups across processes: the
 * same path as a GMQ publish and its delivery, without framing, batching, acknowledgements,
 * thread hand-offs or HTTP/2.
 */
public final class RelayLatencyFloor {
    private RelayLatencyFloor() {}

    public static void main(String[] args) throws Exception {
        if (args.length >= 4 && args[0].equals("server")) {
            serve(Integer.parseInt(args[1]), Path.of(args[2]), args[3].equals("sync"));
        } else if (args.length >= 5 && args[0].equals("client")) {
            long warmup = args.length > 5 ? Long.parseLong(args[5]) : 0;
            drive(args[1], Long.parseLong(args[2]), Long.parseLong(args[3]), Integer.parseInt(args[4]), warmup);
        } else {
            System.err.println("usage: RelayLatencyFloor server PORT DIR sync|none"
                    + " | client HOST:PORT RECORDS RATE SIZE [WARMUP]");
            System.exit(2);
        }
    }

    private static void serve(int port, Path dir, boolean sync) throws IOException {
        Files.createDirectories(dir);
        try (ServerSocket listener = new ServerSocket(port, 2, InetAddress.getLoopbackAddress())) {
            System.out.println(
                    "relay listening on " + listener.getLocalSocketAddress() + (sync ? ", fsync" : ", no fsync"));
            while (true) {
                try (Socket in = listener.accept();
                        Socket out = listener.accept();
                        FileChannel log = FileChannel.open(
                                dir.resolve("relay.log"),
                                StandardOpenOption.CREATE,
                                StandardOpenOption.WRITE,
                                StandardOpenOption.TRUNCATE_EXISTING)) {
                    in.setTcpNoDelay(true);
                    out.setTcpNoDelay(true);
                    relay(
                            new DataInputStream(in.getInputStream()),
                            new DataOutputStream(out.getOutputStream()),
                            log,
                            sync);
                }
            }
        }
    }

    /**
     * Group commit in one thread: after a blocking read of one message, every whole message the
     * connection has already delivered joins it, so one force covers all of them and a slow
     * fdatasync delays the messages that arrived during it once, not once each.
     */
    private static void relay(DataInputStream in, DataOutputStream out, FileChannel log, boolean sync)
            throws IOException {
        ByteBuffer batch = ByteBuffer.allocate(1 << 20);
        while (true) {
            batch.clear();
            try {
                readMessage(in, batch);
            } catch (EOFException end) {
                return;
            }
            while (in.available() >= Integer.BYTES && batch.remaining() > batch.capacity() / 2) {
                readMessage(in, batch);
            }
            batch.flip();
            while (batch.hasRemaining()) {
                log.write(batch);
            }
            if (sync) {
                log.force(false);
            }
            out.write(batch.array(), 0, batch.limit());
            out.flush();
        }
    }

    /** Appends one length-prefixed message to {@code batch}, prefix included. */
    private static void readMessage(DataInputStream in, ByteBuffer batch) throws IOException {
        int size = in.readInt();
        batch.putInt(size);
        in.readFully(batch.array(), batch.position(), size);
        batch.position(batch.position() + size);
    }

    private static void drive(String address, long records, long rate, int size, long warmup) throws Exception {
        String[] hostPort = address.split(":");
        InetSocketAddress relay = new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
        Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        try (Socket send = new Socket();
                Socket receive = new Socket()) {
            send.connect(relay);
            receive.connect(relay);
            send.setTcpNoDelay(true);
            receive.setTcpNoDelay(true);
            long total = warmup + records;
            Thread receiver = new Thread(() -> receive(receive, total, warmup, latency), "floor-receiver");
            receiver.start();
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(send.getOutputStream(), 1 << 12));
            byte[] message = new byte[size];
            ByteBuffer stamp = ByteBuffer.wrap(message);
            long interval = TimeUnit.SECONDS.toNanos(1) / rate;
            long start = System.nanoTime();
            for (long i = 0; i < total; i++) {
                long intended = start + i * interval;
                for (long wait; (wait = intended - System.nanoTime()) > 0; ) {
                    LockSupport.parkNanos(wait);
                }
                stamp.putLong(0, intended);
                out.writeInt(size);
                out.write(message);
                out.flush();
            }
            receiver.join();
        }
        System.out.printf(
                "%d records at %d/s, %d B: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms%n",
                latency.getTotalCount(),
                rate,
                size,
                millis(latency.getValueAtPercentile(50)),
                millis(latency.getValueAtPercentile(90)),
                millis(latency.getValueAtPercentile(99)),
                millis(latency.getValueAtPercentile(99.9)),
                millis(latency.getMaxValue()));
    }

    private static void receive(Socket socket, long total, long warmup, Histogram latency) {
        try {
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
            byte[] message = new byte[0];
            for (long i = 0; i < total; i++) {
                int size = in.readInt();
                if (size != message.length) {
                    message = new byte[size];
                }
                in.readFully(message);
                long now = System.nanoTime();
                if (i >= warmup) {
                    latency.recordValue(
                            Math.max(0, now - ByteBuffer.wrap(message).getLong(0)));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("relay connection failed", e);
        }
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }
}
