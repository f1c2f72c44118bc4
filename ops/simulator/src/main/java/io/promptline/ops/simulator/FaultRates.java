package io.promptline.ops.simulator;

import io.vertx.core.json.JsonObject;

/**
 * The probabilities of random faults per request, each in [0,1] and together at most 1. Start
 * from {@link SimulatorConfig}; change at runtime with {@link LlmSimulator#faults(FaultRates)} or
 * {@code PUT /sim/faults} (an outage: {@code {"503": 1.0}}; recovery: {@code {}}).
 */
public record FaultRates(double rate429, double rate500, double rate503, double rateHang, double rateReset,
        double rateContextLength, double rate401) {

    /** No random faults. */
    public static final FaultRates NONE = new FaultRates(0, 0, 0, 0, 0, 0, 0);

    /** @throws IllegalArgumentException naming the offending rate */
    public FaultRates {
        ConfigChecks.rates(rate429, rate500, rate503, rateHang, rateReset, rateContextLength, rate401);
    }

    static FaultRates of(SimulatorConfig c) {
        return new FaultRates(c.rate429(), c.rate500(), c.rate503(), c.rateHang(), c.rateReset(), c.rateContextLength(),
                c.rate401());
    }

    /** The fault a uniform draw {@code u} in [0,1) selects, or null for none. */
    Outcome draw(double u) {
        double[] rates = {rate429, rate500, rate503, rateHang, rateReset, rateContextLength, rate401};
        Outcome[] faults = {Outcome.RATE_LIMITED, Outcome.SERVER_ERROR, Outcome.OVERLOADED, Outcome.HANG,
                Outcome.RESET, Outcome.CONTEXT_LENGTH, Outcome.UNAUTHORIZED};
        double cumulative = 0;
        for (int i = 0; i < rates.length; i++) {
            cumulative += rates[i];
            if (u < cumulative) {
                return faults[i];
            }
        }
        return null;
    }

    /** Keys as in {@link Outcome#key()}: 429, 500, 503, hang, reset, context_length, 401. */
    public JsonObject toJson() {
        return new JsonObject().put("429", rate429).put("500", rate500).put("503", rate503).put("hang", rateHang)
                .put("reset", rateReset).put("context_length", rateContextLength).put("401", rate401);
    }

    /** Inverse of {@link #toJson()}; absent keys are 0, unknown keys are refused. */
    public static FaultRates fromJson(JsonObject json) {
        for (String key : json.fieldNames()) {
            if (!NONE.toJson().containsKey(key)) {
                throw new IllegalArgumentException("unknown fault '" + key + "'; use 429, 500, 503, hang, reset, context_length, 401");
            }
        }
        return new FaultRates(rate(json, "429"), rate(json, "500"), rate(json, "503"), rate(json, "hang"),
                rate(json, "reset"), rate(json, "context_length"), rate(json, "401"));
    }

    private static double rate(JsonObject json, String key) {
        Object v = json.getValue(key);
        if (v == null) {
            return 0;
        }
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("fault rate '" + key + "' must be a number, was " + v);
        }
        return n.doubleValue();
    }
}
