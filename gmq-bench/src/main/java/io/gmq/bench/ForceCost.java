package io.gmq.bench;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * What a group commit over several partitions costs in fsyncs on this machine's disk: each cycle
 * appends {@code BYTES} to each of {@code FILES} files and then either forces every file, one after
 * the other ({@code each}: what a cycle that forces its segments does), forces them all at once from
 * a thread each ({@code parallel}), or appends the same bytes to one file and forces that alone
 * ({@code one}: what a journaled cycle does; {@code prealloc}: the same into a file written full of
 * zeros and forced beforehand, so a force never has a new size or new blocks to record).
 *
 * <pre>
 * java -cp gmq-bench/target/benchmarks.jar io.gmq.bench.ForceCost DIR each|parallel|one|prealloc FILES BYTES CYCLES CYCLES_PER_S
 * </pre>
 *
 * Prints the percentiles of one cycle's time (writes and forces), recorded with HdrHistogram.
 */
public final class ForceCost {
    private ForceCost() {}

    public static void main(String[] args) throws Exception {
        String mode = args.length < 6 ? "" : args[1];
        if (!List.of("each", "parallel", "one", "prealloc").contains(mode)) {
            System.err.println("usage: ForceCost DIR each|parallel|one|prealloc FILES BYTES CYCLES CYCLES_PER_S");
            System.exit(2);
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        boolean each = mode.equals("each") || mode.equals("parallel");
        int files = Integer.parseInt(args[2]);
        int bytes = Integer.parseInt(args[3]);
        int cycles = Integer.parseInt(args[4]);
        long interval = TimeUnit.SECONDS.toNanos(1) / Long.parseLong(args[5]);
        FileChannel[] channels = new FileChannel[each ? files : 1];
        for (int i = 0; i < channels.length; i++) {
            channels[i] = FileChannel.open(
                    dir.resolve("force-cost-" + i),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        }
        ExecutorService forcers = Executors.newFixedThreadPool(channels.length);
        List<Callable<Void>> forces = new ArrayList<>();
        for (FileChannel ch : channels) {
            forces.add(() -> {
                ch.force(false);
                return null;
            });
        }
        ByteBuffer payload = ByteBuffer.allocateDirect(bytes);
        if (mode.equals("prealloc")) {
            ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            long total = (long) files * bytes * cycles;
            for (long written = 0; written < total; written += zeros.capacity()) {
                zeros.clear();
                channels[0].write(zeros);
            }
            channels[0].force(true);
            channels[0].position(0);
        }
        Histogram cycle = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        long next = System.nanoTime();
        try {
            for (int c = 0; c < cycles; c++) {
                next += interval;
                for (long wait; (wait = next - System.nanoTime()) > 0; ) {
                    LockSupport.parkNanos(wait);
                }
                long start = System.nanoTime();
                for (int f = 0; f < files; f++) {
                    payload.clear();
                    FileChannel target = channels[each ? f : 0];
                    while (payload.hasRemaining()) {
                        target.write(payload);
                    }
                }
                if (mode.equals("parallel")) {
                    for (Future<Void> f : forcers.invokeAll(forces)) {
                        f.get();
                    }
                } else {
                    for (FileChannel ch : channels) {
                        ch.force(false);
                    }
                }
                cycle.recordValue(System.nanoTime() - start);
            }
        } finally {
            forcers.shutdown();
            for (FileChannel ch : channels) {
                ch.close();
            }
        }
        System.out.printf(
                "%s: %d files x %d B, %d cycles: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms%n",
                switch (mode) {
                    case "each" -> "force each file";
                    case "parallel" -> "force each file, all at once";
                    case "one" -> "one file, one force";
                    default -> "one preallocated file, one force";
                },
                files,
                bytes,
                cycles,
                cycle.getValueAtPercentile(50) / 1e6,
                cycle.getValueAtPercentile(90) / 1e6,
                cycle.getValueAtPercentile(99) / 1e6,
                cycle.getValueAtPercentile(99.9) / 1e6,
                cycle.getMaxValue() / 1e6);
    }
}
