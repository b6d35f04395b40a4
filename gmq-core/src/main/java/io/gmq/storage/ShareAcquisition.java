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
}
