package io.gmq.storage;

/**
 * A batch accepted into storage's schedule of delayed messages ({@link Storage#schedule}): it is
 * appended to its partition at {@code deliverAtMillis}. {@code scheduleId} names the entry; the
 * appended records carry it in their {@code gmq-schedule-id} header.
 */
public record ScheduleResult(long scheduleId, int recordCount, long deliverAtMillis) {}
