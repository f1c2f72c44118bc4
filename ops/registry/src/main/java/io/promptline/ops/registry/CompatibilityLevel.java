package io.promptline.ops.registry;

import java.util.Locale;
import java.util.Optional;

/** The compatibility levels of the Confluent Schema Registry, with their check directions. */
public enum CompatibilityLevel {
    NONE(false, false, false),
    BACKWARD(true, false, false),
    BACKWARD_TRANSITIVE(true, false, true),
    FORWARD(false, true, false),
    FORWARD_TRANSITIVE(false, true, true),
    FULL(true, true, false),
    FULL_TRANSITIVE(true, true, true);

    private final boolean backward;
    private final boolean forward;
    private final boolean transitive;

    CompatibilityLevel(boolean backward, boolean forward, boolean transitive) {
        this.backward = backward;
        this.forward = forward;
        this.transitive = transitive;
    }

    /** The new schema (reader) must be able to read data written with the old schema (writer). */
    public boolean backward() {
        return backward;
    }

    /** The old schema (reader) must be able to read data written with the new schema (writer). */
    public boolean forward() {
        return forward;
    }

    /** Checks apply to every earlier version, not only the latest. */
    public boolean transitive() {
        return transitive;
    }

    /** Parses a level name case-insensitively, as Confluent does; empty for unknown names. */
    public static Optional<CompatibilityLevel> parse(String name) {
        if (name == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(valueOf(name.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
