package io.promptline.processor.provider;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Server-sent events as the specification frames them, however the network cuts the bytes. */
class SseSinkTest {
    /** Records each event the sink dispatches; its text is the data itself. */
    private static final class Events implements StreamAssembler {
        final List<String> seen = new ArrayList<>();

        @Override
        public String onEvent(String event, String data) {
            seen.add(event + "|" + data);
            return data;
        }

        @Override
        public JsonObject assembled() {
            return null;
        }

        @Override
        public int status() {
            return 200;
        }

        @Override
        public String finishReason() {
            return null;
        }
    }

    private static List<String> feed(String body, int chunk) {
        Events events = new Events();
        Collected heard = new Collected();
        SseSink sink = new SseSink(events, heard);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i += chunk) {
            byte[] part = java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + chunk));
            sink.write(Buffer.buffer(part));
        }
        sink.end();
        assertThat(heard.pieces).isEqualTo(events.seen.stream().map(s -> s.substring(s.indexOf('|') + 1)).filter(s -> !s.isEmpty()).toList());
        assertThat(sink.raw().toString(StandardCharsets.UTF_8)).isEqualTo(body);
        return events.seen;
    }

    @Test
    void shouldFrameEventsWhateverTheChunksAndLineEndings() {
        String body = ": a comment\r\nevent: delta\r\ndata: héllo wörld 日本\r\n\r\ndata: one\ndata: two\n\ndata:no space\r\rretry: 10\n\ndata: last";
        List<String> expected = List.of("delta|héllo wörld 日本", "null|one\ntwo", "null|no space", "null|last");
        for (int chunk : new int[] {1, 2, 3, 7, 1000}) {
            assertThat(feed(body, chunk)).as("cut every %d bytes", chunk).isEqualTo(expected);
        }
    }
}
