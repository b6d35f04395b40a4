/**
 * The crash-safe partition log.
 *
 * <ul>
 *   <li>{@link io.gmq.internal.log.LogManager}: owns all partition logs under
 *       {@code <dataDir>/logs/<topic>/<partition>/}, the group-commit writer thread and the
 *       scheduler thread.
 *   <li>{@link io.gmq.internal.log.PartitionLog}: one partition's public surface and shared state
 *       (segments, log start, high watermark), over {@code PartitionAppender} (validate on the
 *       caller's thread, queue; offsets, sealing, writes and rolls on the writer thread),
 *       {@code PartitionLogReader} (positional reads bounded by the high watermark, every frame
 *       CRC-checked), {@code LongPollWaiters} (fetches parked until the high watermark passes
 *       them) and {@code SegmentRetention} (whole oldest segments by age and size).
 *   <li>{@code Segment} + {@code OffsetIndex}: a {@code .log} file of sealed
 *       {@link io.gmq.storage.BatchFormat} frames and its sparse 16-byte-entry index.
 *   <li>{@code SegmentFileCache} + {@code SegmentFiles}: at most {@code maxOpenFiles} segment files
 *       open per manager; readers, the writer and the syncer pin a segment's handle per operation
 *       (lock-free), idle handles are closed least-recently-used first (forced first if they hold
 *       unforced writes) and reopened on next use. The index is read into memory and written with
 *       positional writes, never memory-mapped.
 *   <li>{@code LogWriter} + {@code CommitCycle}: one writer drains every partition's appends, one
 *       gather write per partition per cycle; under SYNC a syncer thread fsyncs cycle N while the
 *       writer writes cycle N+1, then publishes high watermarks and completes futures.
 *   <li>{@code CommitJournal}: under SYNC, a cycle that wrote to several segments but little data
 *       is also appended to {@code <dataDir>/journal/} and made durable by one fsync of that file
 *       instead of one per segment; journal files are retired (their segments forced) when full,
 *       and replayed into the segments at the next open after a crash.
 *   <li>{@code LogRecovery}: at open (after the journal replay), validates indexes and truncates
 *       the last segment after its last valid frame.
 *   <li>{@link io.gmq.internal.log.LogFileIO}: every file operation, so tests inject disk-full and
 *       power-loss faults (see {@code FailingFileIO} and {@code PowerLossFileIO} in the test jar).
 * </ul>
 *
 * <p>Durability contract: under SYNC an append with {@code awaitDurable} completes after the fsync
 * that covers it, and readers see it from then on; under INTERVAL and OS appends complete and
 * become readable after the write, and a power loss can lose what was not yet forced.
 */
package io.gmq.internal.log;
