package io.gmq.net.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * {@code --log-format json}: one JSON object per line, for log shippers. The schema is stable
 * (docs/OPERATIONS.md, "Logs"):
 *
 * <pre>
 *   {"timestamp":"2025-01-31T12:00:00.123Z","level":"INFO","logger":"io.gmq.net.server.GmqServer",
 *    "thread":"main","message":"GMQ server listening on ...","exception":"java.io.IOException: ...\n\tat ..."}
 * </pre>
 *
 * {@code timestamp} is UTC ISO-8601 with milliseconds; {@code level} one of TRACE, DEBUG, INFO,
 * WARN, ERROR; {@code exception} (the stack trace as text) only when the event has one. Records
 * of java.util.logging (gRPC) arrive here through the bridge, with their JUL logger name.
 *
 * <p>Logback's own JsonEncoder names its fields differently and adds the logger context to every
 * line, so gmq.jar writes its lines itself.
 */
final class JsonLogEncoder extends EncoderBase<ILoggingEvent> {
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        JsonWriter json = new JsonWriter()
                .beginObject()
                .name("timestamp")
                .value(TIMESTAMP.format(Instant.ofEpochMilli(event.getTimeStamp())))
                .name("level")
                .value(event.getLevel().toString())
                .name("logger")
                .value(event.getLoggerName())
                .name("thread")
                .value(event.getThreadName())
                .name("message")
                .value(event.getFormattedMessage());
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            json.name("exception").value(ThrowableProxyUtil.asString(thrown));
        }
        return (json.endObject() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }
}
