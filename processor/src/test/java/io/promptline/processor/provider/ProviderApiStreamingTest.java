package io.promptline.processor.provider;

import io.promptline.avro.ErrorCategory;
import io.promptline.requests.Messages;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Streamed answers, the same contract for every provider API: a real HTTP server sends each API's
 * documented stream ({@code provider-recordings/*-stream.json}) as server-sent events, each event cut
 * in two writes (a line split across network reads), and the client must hand on the text piece by
 * piece as it arrives, then complete with the same outcome an unstreamed answer has — text, finish
 * reason, tool calls, usage — or with the failure the stream stands for.
 */
class ProviderApiStreamingTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);
    private static Vertx vertx;
    private static HttpServer server;
    private static final AtomicReference<JsonObject> ANSWER = new AtomicReference<>();
    private static final AtomicReference<JsonObject> SEEN = new AtomicReference<>();

    @BeforeAll
    static void startServer() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
            SEEN.set(body.toJsonObject());
            JsonObject answer = ANSWER.get();
            HttpServerResponse resp = req.response().setStatusCode(answer.getInteger("status"));
            answer.getJsonObject("headers", new JsonObject()).forEach(h -> resp.putHeader(h.getKey(), h.getValue().toString()));
            if (answer.containsKey("body")) {
                resp.end(answer.getJsonObject("body").encode());
                return;
            }
            resp.setChunked(true).putHeader("content-type", "text/event-stream");
            List<String> halves = new java.util.ArrayList<>();
            for (Object e : answer.getJsonArray("events")) {
                String event = (String) e;
                halves.add(event.substring(0, event.length() / 2));
                halves.add(event.substring(event.length() / 2));
            }
            send(resp, halves, 0);
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static void send(HttpServerResponse resp, List<String> parts, int i) {
        if (i == parts.size()) {
            resp.end();
            return;
        }
        resp.write(parts.get(i));
        vertx.setTimer(2, t -> send(resp, parts, i + 1));
    }

    @AfterAll
    static void stopServer() {
        vertx.close();
    }

    private record Streamed(CallOutcome outcome, List<String> pieces, List<String> ends) {
    }

    private static Streamed call(String api, String scenario) throws Exception {
        try (InputStream in = ProviderApiStreamingTest.class.getResourceAsStream("/provider-recordings/" + api + "-stream.json")) {
            ANSWER.set(new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getJsonObject(scenario));
        }
        String root = "http://127.0.0.1:" + server.actualPort();
        String base = api.equals("azure") ? root + "/openai/deployments/gpt-4o-prod?api-version=2024-10-21" : root + "/v1";
        Collected heard = new Collected();
        ChatCall call = new ChatCall("req-1", "gpt-4.1", List.of(Messages.text("user", "Hello")), null, 64, null);
        try (VertxChatClient client = new VertxChatClient(vertx, ProviderApi.of(api), api, base, "test-key-123", 10_000, 2_000, 4, CLOCK)) {
            return new Streamed(client.call(call, heard).toCompletableFuture().get(10, TimeUnit.SECONDS), heard.pieces, heard.ends);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "azure", "anthropic"})
    void shouldHandOnEachPieceAndCompleteWithTheWholeAnswer(String api) throws Exception {
        Streamed s = call(api, "success");

        assertThat(SEEN.get().getBoolean("stream")).isTrue();
        if (!api.equals("anthropic")) assertThat(SEEN.get().getJsonObject("stream_options").getBoolean("include_usage")).isTrue();
        assertThat(s.pieces()).hasSize(9);
        assertThat(String.join("", s.pieces())).isEqualTo("Hello! How can I assist you today?");
        assertThat(s.ends()).containsExactly("stop");
        CallOutcome.Success success = (CallOutcome.Success) s.outcome();
        assertThat(success.content()).isEqualTo("Hello! How can I assist you today?");
        assertThat(success.finishReason()).isEqualTo("stop");
        assertThat(success.usage().getPromptTokens()).isEqualTo(19);
        assertThat(success.usage().getCompletionTokens()).isEqualTo(10);
        assertThat(success.usage().getEstimated()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "azure", "anthropic"})
    void shouldAssembleAToolCallWhoseArgumentsCameInPieces(String api) throws Exception {
        Streamed s = call(api, "tool_call");

        CallOutcome.Success success = (CallOutcome.Success) s.outcome();
        assertThat(success.finishReason()).isEqualTo("tool_calls");
        assertThat(success.toolCalls()).hasSize(1);
        assertThat(success.toolCalls().get(0).getName()).isEqualTo("get_weather");
        assertThat(new JsonObject(success.toolCalls().get(0).getArguments())).isEqualTo(new JsonObject().put("location", "Paris, France"));
        assertThat(s.pieces()).isEmpty();
        assertThat(s.ends()).containsExactly("tool_calls");
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "azure", "anthropic"})
    void shouldFailAStreamCutShortWithoutEndingIt(String api) throws Exception {
        Streamed s = call(api, "cut_short");

        assertThat(String.join("", s.pieces())).isEqualTo("Hello! How can");
        assertThat(s.ends()).isEmpty();
        CallOutcome.Failure f = (CallOutcome.Failure) s.outcome();
        assertThat(f.category()).isEqualTo(ErrorCategory.NETWORK);
        assertThat(f.message()).contains("ended before the answer did");
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "azure", "anthropic"})
    void shouldFailOnAnErrorSentInsideTheStream(String api) throws Exception {
        Streamed s = call(api, "error_in_stream");

        assertThat(s.ends()).isEmpty();
        CallOutcome.Failure f = (CallOutcome.Failure) s.outcome();
        assertThat(f.category()).isEqualTo(ErrorCategory.PROVIDER_ERROR);
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "azure", "anthropic"})
    void shouldReadAnErrorAnsweredWholeAsAnUnstreamedCallDoes(String api) throws Exception {
        Streamed s = call(api, "rate_limited");

        assertThat(s.pieces()).isEmpty();
        CallOutcome.Failure f = (CallOutcome.Failure) s.outcome();
        assertThat(f.category()).isEqualTo(ErrorCategory.RATE_LIMIT);
        assertThat(f.retryAfter()).isNotNull();
    }
}
