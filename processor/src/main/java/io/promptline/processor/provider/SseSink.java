package io.promptline.processor.provider;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;

import java.nio.charset.StandardCharsets;

/**
 * The body of a streamed call as it arrives: split into server-sent events (lines {@code event:}
 * and {@code data:}, an event ending at a blank line, comments ignored, as the SSE specification
 * says) handed to the API's {@link StreamAssembler}, whose text goes on to the listener at once.
 * The body's first 64 KiB are kept as they came, for an answer that is an error, not a stream.
 * (Vert.x's own SSE codec parses the same, but drops a body that is not a stream.)
 */
final class SseSink implements WriteStream<Buffer> {
    private static final int KEPT_BYTES = 64 * 1024;

    private final StreamAssembler assembler;
    private final StreamListener listener;
    private final Buffer raw = Buffer.buffer();
    /** Bytes of a line not ended yet. */
    private Buffer pending = Buffer.buffer();
    private String event;
    private StringBuilder data;
    private RuntimeException failure;
    /** The last line ended with CR: an LF that follows belongs to it. */
    private boolean afterCr;

    SseSink(StreamAssembler assembler, StreamListener listener) {
        this.assembler = assembler;
        this.listener = listener;
    }

    @Override
    public Future<Void> write(Buffer data) {
        if (raw.length() < KEPT_BYTES) raw.appendBuffer(data, 0, Math.min(data.length(), KEPT_BYTES - raw.length()));
        if (failure != null) return Future.succeededFuture();
        pending.appendBuffer(data);
        int start = 0;
        if (afterCr && pending.length() > 0 && pending.getByte(0) == '\n') start = 1;
        afterCr = false;
        for (int i = start; i < pending.length(); i++) {
            byte b = pending.getByte(i);
            if (b != '\n' && b != '\r') continue;
            line(pending.getString(start, i, StandardCharsets.UTF_8.name()));
            if (b == '\r') {
                if (i + 1 < pending.length()) {
                    if (pending.getByte(i + 1) == '\n') i++;
                } else {
                    afterCr = true;
                }
            }
            start = i + 1;
        }
        pending = pending.getBuffer(start, pending.length());
        return Future.succeededFuture();
    }

    private void line(String line) {
        if (line.isEmpty()) {
            dispatch();
            return;
        }
        if (line.startsWith(":")) return;
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) value = value.substring(1);
        if (field.equals("event")) event = value;
        else if (field.equals("data")) data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
    }

    private void dispatch() {
        if (data == null) {
            event = null;
            return;
        }
        try {
            String text = assembler.onEvent(event, data.toString());
            if (!text.isEmpty()) listener.piece(text);
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            event = null;
            data = null;
        }
    }

    @Override
    public Future<Void> end() {
        // The specification drops an event the body ends in; a server that ends without the last blank line (some do, after
        // their usage chunk) would lose it, so it is read: a line cut off by the end of the body is still its last line
        if (failure == null && pending.length() > 0) {
            line(pending.toString(StandardCharsets.UTF_8));
            pending = Buffer.buffer();
        }
        if (failure == null && data != null) dispatch();
        return Future.succeededFuture();
    }

    /** The body as it came (its first 64 KiB). */
    Buffer raw() {
        return raw;
    }

    /** Why the stream could not be read, or null. */
    RuntimeException failure() {
        return failure;
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        return this;
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
        return this;
    }

    @Override
    public boolean writeQueueFull() {
        return false;
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
        return this;
    }
}
