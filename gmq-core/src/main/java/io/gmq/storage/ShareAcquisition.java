package io.gmq.storage;

import java.nio.ByteBuffer;

/**
 * Records a share-group member acquired from one partition ({@link Storage#acquire}): whole
 * sealed frames, of which only the records at {@code offsets[i]} are the member's, each delivered
 * for the {@code deliveryCounts[i]}-th time. Offsets ascend. Empty when nothing was acquirable.
 */
public record ShareAcquisition(ByteBuffer frames, long[] offsets, int[] deliveryCounts) {
    public static final ShareAcquisition EMPTY = new ShareAcquisition(FetchResult.EMPTY, new long[0], new int[0]);

    public int count() {
        return offsets.length;
    }

    /**
     * The whole frames of {@code frames} (from its position to its limit) that hold any record
     * with {@code from <= offset < to}: a view, no copy. So a delivery carries the batches of its
     * records and not the whole read.
     */
    public static ByteBuffer framesFor(ByteBuffer frames, long from, long to) {
        BatchFrame f = new BatchFrame();
        int start = -1;
        int end = -1;
        int limit = frames.limit();
        for (int at = frames.position(); at < limit; ) {
            f.wrap(frames, at);
            if (!f.hasHeader(limit) || !f.fitsIn(limit)) {
                break;
            }
            if (f.nextOffset() > from && f.baseOffset() < to) {
                if (start < 0) {
                    start = at;
                }
                end = f.end();
            } else if (f.baseOffset() >= to) {
                break;
            }
            at = f.end();
        }
        return start < 0 ? FetchResult.EMPTY : frames.slice(start, end - start).order(frames.order());
    }
}
