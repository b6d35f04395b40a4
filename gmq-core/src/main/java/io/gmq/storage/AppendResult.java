package io.gmq.storage;

/** Offsets assigned to one appended batch: {@code baseOffset} .. {@code baseOffset + recordCount - 1}. */
public record AppendResult(long baseOffset, int recordCount, long logAppendTimeMillis) {
    public long lastOffset() {
        return baseOffset + recordCount - 1;
    }
}
