package io.gmq.net.storage;

import com.google.protobuf.ByteString;
import io.gmq.proto.AcquireResponse;
import io.gmq.storage.FetchResult;
import io.gmq.storage.ShareAcquisition;
import io.gmq.wire.Protos;

/** The share-group messages of storage.proto, mapped to and from core's types (both sides). */
final class ShareRpc {
    private ShareRpc() {}

    static AcquireResponse toProto(ShareAcquisition a) {
        AcquireResponse.Builder b = AcquireResponse.newBuilder();
        if (a.count() > 0) {
            b.setRecords(Protos.bytes(a.frames()));
            for (int i = 0; i < a.count(); i++) {
                b.addOffsets(a.offsets()[i]);
                b.addDeliveryCounts(a.deliveryCounts()[i]);
            }
        }
        return b.build();
    }

    static ShareAcquisition fromProto(AcquireResponse r) {
        if (r.getOffsetsCount() == 0) {
            return ShareAcquisition.EMPTY;
        }
        int n = r.getOffsetsCount();
        long[] offsets = new long[n];
        int[] counts = new int[n];
        for (int i = 0; i < n; i++) {
            offsets[i] = r.getOffsets(i);
            counts[i] = r.getDeliveryCounts(i);
        }
        ByteString records = r.getRecords();
        return new ShareAcquisition(records.isEmpty() ? FetchResult.EMPTY : Protos.readView(records), offsets, counts);
    }
}
