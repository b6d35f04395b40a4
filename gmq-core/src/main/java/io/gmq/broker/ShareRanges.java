package io.gmq.broker;

/** Offset ranges as share settles take them: one offset per record. */
final class ShareRanges {
    private ShareRanges() {}

    /** The offsets of the half-open ranges {@code [ranges[2i], ranges[2i+1])}, {@code i < n}, in order. */
    static long[] offsets(long[] ranges, int n) {
        long total = 0;
        for (int i = 0; i < n; i++) {
            total += Math.max(0, ranges[2 * i + 1] - ranges[2 * i]);
        }
        long[] out = new long[Math.toIntExact(total)];
        int k = 0;
        for (int i = 0; i < n; i++) {
            for (long o = ranges[2 * i]; o < ranges[2 * i + 1]; o++) {
                out[k++] = o;
            }
        }
        return out;
    }
}
