package io.promptline.processor.provider;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * The misconfiguration state of one endpoint: set when a call says the endpoint itself is wrong
 * (see {@link CallOutcome.EndpointFault}), for the whole endpoint or for one model. While set, no
 * call goes for {@code pauseMillis}; then one probe at a time, until a call succeeds. Logged once
 * when it starts and when it ends (never the key). Thread-safe.
 */
final class Faults {
    private static final Logger log = LoggerFactory.getLogger(Faults.class);
    private static final String WHOLE_ENDPOINT = "";

    /** One fault: until when no call goes, and whether a probe is out. */
    private static final class Fault {
        long until;
        boolean probing;
        String reason;
    }

    private final String endpoint;
    private final long pauseMillis;
    private final Map<String, Fault> byScope = new HashMap<>();

    Faults(String endpoint, long pauseMillis) {
        this.endpoint = endpoint;
        this.pauseMillis = pauseMillis;
    }

    /** Null when a call of {@code model} may go (it may be the probe), else why not. */
    synchronized Endpoint.Slot admit(String model, long now) {
        Endpoint.Slot whole = admit(byScope.get(WHOLE_ENDPOINT), now, Endpoint.Slot.FAULTED);
        if (whole != null) return whole;
        return admit(byScope.get(model), now, Endpoint.Slot.MODEL_FAULTED);
    }

    private static Endpoint.Slot admit(Fault f, long now, Endpoint.Slot refused) {
        if (f == null) return null;
        if (now < f.until || f.probing) return refused;
        f.probing = true;
        return null;
    }

    /** A slot taken by {@link #admit} that was not used: a probe it took is not out. */
    synchronized void cancel(String model) {
        for (String scope : new String[]{WHOLE_ENDPOINT, model}) {
            Fault f = byScope.get(scope);
            if (f != null) f.probing = false;
        }
    }

    synchronized void outcome(String model, CallOutcome outcome, long now) {
        if (outcome instanceof CallOutcome.Failure failure && failure.fault() != CallOutcome.EndpointFault.NONE) {
            String scope = failure.fault() == CallOutcome.EndpointFault.MODEL_NOT_FOUND ? model : WHOLE_ENDPOINT;
            Fault f = byScope.computeIfAbsent(scope, s -> new Fault());
            if (f.reason == null) {
                log.error("Endpoint {} is misconfigured{}: {}; its calls{} wait (a probe every {} ms) instead of failing, until it answers",
                        endpoint, scope.isEmpty() ? "" : " for model " + scope, failure.message(),
                        scope.isEmpty() ? "" : " of that model", pauseMillis);
            }
            f.reason = failure.message();
            f.until = now + pauseMillis;
            f.probing = false;
            return;
        }
        for (String scope : new String[]{WHOLE_ENDPOINT, model}) {
            Fault f = byScope.get(scope);
            if (f == null) continue;
            if (outcome instanceof CallOutcome.Success) {
                // An answer: the configuration is fixed.
                byScope.remove(scope);
                log.warn("Endpoint {}{} answers again; its waiting calls go on", endpoint, scope.isEmpty() ? "" : " (model " + scope + ")");
            } else {
                f.probing = false; // the probe told nothing (a timeout, a 503): the next call probes again
            }
        }
    }

    /** The last refusal was the request's own, not the endpoint's: the faults it set are lifted. */
    synchronized void forgive(String model) {
        byScope.remove(WHOLE_ENDPOINT);
        byScope.remove(model);
    }

    synchronized boolean endpointFaulted() {
        return byScope.containsKey(WHOLE_ENDPOINT);
    }
}
