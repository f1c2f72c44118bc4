package io.promptline.ops.simulator;

import static io.promptline.ops.simulator.SimHarness.chat;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultInjectionTest {

    private static SimHarness h;

    @BeforeAll
    static void start() {
        h = new SimHarness(SimulatorConfig.builder().latency("fixed:5").hangMillis(1_000).retryAfterSeconds(2).build());
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @BeforeEach
    void reset() {
        h.sim.reset();
    }

    private static JsonObject error(HttpResponse<Buffer> r) {
        return r.bodyAsJsonObject().getJsonObject("error");
    }

    @Test
    void marker429CarriesRetryAfterAndZeroRemaining() {
        HttpResponse<Buffer> r = h.chatSync(chat("gpt-4.1", "please [[sim:429]] now"));

        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.getHeader("retry-after")).isEqualTo("2");
        assertThat(r.getHeader("retry-after-ms")).isEqualTo("2000");
        assertThat(r.getHeader("x-ratelimit-remaining-requests")).isEqualTo("0");
        assertThat(r.getHeader("x-ratelimit-remaining-tokens")).isEqualTo("0");
        assertThat(r.getHeader("x-request-id")).isNotBlank();
        assertThat(error(r).getString("message")).isEqualTo("Rate limit reached for requests");
        assertThat(error(r).getString("type")).isEqualTo("requests");
        assertThat(error(r).getString("code")).isEqualTo("rate_limit_exceeded");
        assertThat(error(r).containsKey("param")).isTrue();
    }

    @Test
    void marker429RetryAfterOverride() {
        HttpResponse<Buffer> r = h.chatSync(chat("gpt-4.1", "[[sim:429:retry-after=7]]"));

        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.getHeader("retry-after")).isEqualTo("7");
        assertThat(r.getHeader("retry-after-ms")).isEqualTo("7000");
    }

    @Test
    void marker500And503() {
        HttpResponse<Buffer> r500 = h.chatSync(chat("gpt-4.1", "[[sim:500]]"));
        HttpResponse<Buffer> r503 = h.chatSync(chat("gpt-4.1", "[[sim:503]]"));

        assertThat(r500.statusCode()).isEqualTo(500);
        assertThat(error(r500).getString("message")).isEqualTo("The server had an error while processing your request.");
        assertThat(error(r500).getString("type")).isEqualTo("server_error");
        assertThat(r503.statusCode()).isEqualTo(503);
        assertThat(error(r503).getString("message")).isEqualTo("The engine is currently overloaded, please try again later");
        assertThat(r503.getHeader("x-ratelimit-limit-requests")).isNotBlank();
        assertThat(h.sim.stats().count("500")).isEqualTo(1);
        assertThat(h.sim.stats().count("503")).isEqualTo(1);
    }

    @Test
    void markerContextLengthContentPolicyAnd401() {
        HttpResponse<Buffer> ctx = h.chatSync(chat("gpt-4.1", "[[sim:context_length]]"));
        HttpResponse<Buffer> policy = h.chatSync(chat("gpt-4.1", "[[sim:content_policy]]"));
        HttpResponse<Buffer> auth = h.chatSync(chat("gpt-4.1", "[[sim:401]]"));

        int prompt = TokenEstimator.promptTokens(SimHarness.contents("[[sim:context_length]]"));
        assertThat(ctx.statusCode()).isEqualTo(400);
        assertThat(error(ctx).getString("code")).isEqualTo("context_length_exceeded");
        assertThat(error(ctx).getString("message")).isEqualTo("This model's maximum context length is 128000 tokens."
                + " However, your messages resulted in " + prompt + " tokens. Please reduce the length of the messages.");
        assertThat(policy.statusCode()).isEqualTo(400);
        assertThat(error(policy).getString("code")).isEqualTo("content_policy_violation");
        assertThat(error(policy).getString("type")).isEqualTo("invalid_request_error");
        assertThat(auth.statusCode()).isEqualTo(401);
        assertThat(error(auth).getString("code")).isEqualTo("invalid_api_key");
        SimulatorStats s = h.sim.stats();
        assertThat(s.count("context_length")).isEqualTo(1);
        assertThat(s.count("content_policy")).isEqualTo(1);
        assertThat(s.count("401")).isEqualTo(1);
        assertThat(s.succeeded()).isZero();
    }

    @Test
    void transient503x2FailsTwiceThenSucceeds() {
        JsonObject req = chat("gpt-4.1", "flaky [[sim:503x2]]");
        Map<String, String> key = Map.of("Idempotency-Key", "req-42");

        assertThat(h.chatSync(req, key).statusCode()).isEqualTo(503);
        assertThat(h.chatSync(req, key).statusCode()).isEqualTo(503);
        HttpResponse<Buffer> third = h.chatSync(req, key);
        assertThat(third.statusCode()).isEqualTo(200);
        assertThat(h.chatSync(req, key).statusCode()).isEqualTo(200);
        // a different logical request starts its own count
        assertThat(h.chatSync(req, Map.of("Idempotency-Key", "req-43")).statusCode()).isEqualTo(503);

        SimulatorStats s = h.sim.stats();
        assertThat(s.count("503")).isEqualTo(3);
        assertThat(s.succeeded()).isEqualTo(2);
        assertThat(s.distinctIdempotencyKeys()).isEqualTo(1);
        assertThat(s.duplicateSuccessfulCalls()).isEqualTo(1);
    }

    @Test
    void transientWithoutKeyUsesContentHash() {
        JsonObject req = chat("gpt-4.1", "no key [[sim:429x1]]");

        assertThat(h.chatSync(req).statusCode()).isEqualTo(429);
        assertThat(h.chatSync(req).statusCode()).isEqualTo(200);
    }

    @Test
    void resetClosesTheConnectionAndTheClientFails() {
        Throwable failure = SimHarness.failureOf(h.sendChat(chat("gpt-4.1", "[[sim:reset]]"), Map.of()));
        assertThat(failure).isInstanceOf(io.vertx.core.http.HttpClosedException.class);
        assertThat(h.sim.stats().count("reset")).isEqualTo(1);
        SimHarness.eventually(5_000, () -> h.sim.stats().inFlight() == 0);
    }

    @Test
    void transientResetThenSuccess() {
        JsonObject req = chat("gpt-4.1", "[[sim:resetx2]]");
        Map<String, String> key = Map.of("Idempotency-Key", "r-1");

        assertThat(SimHarness.failureOf(h.sendChat(req, key))).isNotNull();
        assertThat(SimHarness.failureOf(h.sendChat(req, key))).isNotNull();
        assertThat(h.chatSync(req, key).statusCode()).isEqualTo(200);
    }

    @Test
    void hangGivesNoAnswerWithinAShortClientTimeoutAndIsClosedLater() {
        Future<HttpResponse<Buffer>> call = h.post("/v1/chat/completions").timeout(300)
                .sendJsonObject(chat("gpt-4.1", "[[sim:hang]]"));

        Throwable failure = SimHarness.failureOf(call);
        assertThat(failure).hasMessageContaining("timeout");
        assertThat(h.sim.stats().count("hang")).isEqualTo(1);
        assertThat(h.sim.stats().succeeded()).isZero();
        // the client gave up and closed; the held request must not leak
        SimHarness.eventually(5_000, () -> h.sim.stats().inFlight() == 0);
    }

    @Test
    void hangClosesTheConnectionAfterHangMillis() {
        // no client timeout: the simulator closes after hangMillis (1 s), so the client fails instead of hanging
        Throwable failure = SimHarness.failureOf(h.sendChat(chat("gpt-4.1", "[[sim:hang]]"), Map.of()));

        assertThat(failure).isNotNull();
        SimHarness.eventually(5_000, () -> h.sim.stats().inFlight() == 0);
    }

    @Test
    void transientHangThenSuccess() {
        JsonObject req = chat("gpt-4.1", "[[sim:hangx1]]");
        Map<String, String> key = Map.of("Idempotency-Key", "h-1");

        Future<HttpResponse<Buffer>> first = h.post("/v1/chat/completions").putHeader("Idempotency-Key", "h-1")
                .timeout(300).sendJsonObject(req);
        assertThat(SimHarness.failureOf(first)).hasMessageContaining("timeout");
        assertThat(h.chatSync(req, key).statusCode()).isEqualTo(200);
    }

    @Test
    void firstMarkerWinsAndUnknownMarkersAreIgnored() {
        JsonObject req = chat("gpt-4.1", "[[sim:teapot]] then [[sim:500]]", "[[sim:429]]");

        assertThat(h.chatSync(req).statusCode()).isEqualTo(500);
        assertThat(h.chatSync(chat("gpt-4.1", "[[sim:teapot]]")).statusCode()).isEqualTo(200);
    }

    @Test
    void clientClosingDuringLatencyIsCountedAndReleased() {
        try (SimHarness slow = new SimHarness(SimulatorConfig.builder().latency("fixed:5000").build())) {
            Future<HttpResponse<Buffer>> call = slow.post("/v1/chat/completions").timeout(200)
                    .sendJsonObject(chat("gpt-4.1", "slow"));
            assertThat(SimHarness.failureOf(call)).hasMessageContaining("timeout");
            SimHarness.eventually(5_000, () -> slow.sim.stats().count(Outcome.CLIENT_CLOSED) == 1);
            assertThat(slow.sim.stats().inFlight()).isZero();
            assertThat(slow.sim.stats().succeeded()).isZero();
        }
    }
}
