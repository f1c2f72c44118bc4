package io.promptline.processor.routing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Models' context windows and the fallback chain taken when a prompt does not fit: a request
 * estimated over its model's window is routed to the first model of the chain that fits (and the
 * result says so); a provider's context_length_exceeded answer takes the next model of the chain.
 */
public final class ContextRouting {
    private final Map<String, Integer> windows;
    private final Map<String, String> fallbacks;

    public ContextRouting(Map<String, Integer> windows, Map<String, String> fallbacks) {
        this.windows = Map.copyOf(windows);
        this.fallbacks = Map.copyOf(fallbacks);
    }

    /** No windows known and no fallbacks: every request is sent as it is. */
    public static ContextRouting none() {
        return new ContextRouting(Map.of(), Map.of());
    }

    public OptionalInt window(String model) {
        Integer w = windows.get(model);
        return w == null ? OptionalInt.empty() : OptionalInt.of(w);
    }

    public Optional<String> fallback(String model) {
        return Optional.ofNullable(fallbacks.get(model));
    }

    public Collection<String> fallbackModels() {
        return fallbacks.values();
    }

    /** Where a request of {@code tokens} (prompt estimate plus max_tokens) can go. */
    public sealed interface Fit {
    }

    /** The model itself fits (or its window is unknown). */
    public record Fits() implements Fit {
    }

    /** A fallback model fits; {@code reason} is recorded on the result. */
    public record Rerouted(String model, String reason) implements Fit {
    }

    /** Nothing in the chain fits. */
    public record TooLong(String message) implements Fit {
    }

    public Fit fit(String model, long tokens) {
        OptionalInt w = window(model);
        if (w.isEmpty() || tokens <= w.getAsInt()) return new Fits();
        List<String> tried = new ArrayList<>(List.of(model + " (" + w.getAsInt() + ")"));
        Set<String> seen = new HashSet<>(Set.of(model));
        for (String next = fallbacks.get(model); next != null && seen.add(next); next = fallbacks.get(next)) {
            OptionalInt nw = window(next);
            if (nw.isEmpty() || tokens <= nw.getAsInt()) {
                return new Rerouted(next, "prompt estimated at " + tokens + " tokens exceeds " + model + "'s context window of "
                        + w.getAsInt() + "; routed to " + next);
            }
            tried.add(next + " (" + nw.getAsInt() + ")");
        }
        return new TooLong("messages and max_tokens estimated at " + tokens + " tokens exceed the context window of "
                + String.join(", then ", tried) + (tried.size() == 1 ? "; no context fallback is configured for " + model : ""));
    }
}
