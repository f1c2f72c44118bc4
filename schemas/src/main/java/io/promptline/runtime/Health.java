package io.promptline.runtime;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * The health of a deployable, from its parts (stream applications, background threads): the
 * process is live while every part is alive (it works, or recovers on its own), and ready while
 * every part is also doing its work. A part that cannot go on makes the process not live, so an
 * orchestrator restarts it; the deployable's main exits non-zero on the same signal
 * ({@link Supervisor}). Thread-safe.
 */
public final class Health {
    /** One part's view of itself. */
    public interface Part {
        String name();

        /** False once the part cannot go on without a restart of the process. */
        boolean alive();

        /** Whether the part does its work now (a part starting or rebalancing is alive but not ready). */
        boolean ready();
    }

    private final List<Part> parts = new CopyOnWriteArrayList<>();

    public Health add(Part part) {
        parts.add(part);
        return this;
    }

    /** A part from two suppliers. */
    public Health add(String name, BooleanSupplier alive, BooleanSupplier ready) {
        return add(new Part() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public boolean alive() {
                return alive.getAsBoolean();
            }

            @Override
            public boolean ready() {
                return ready.getAsBoolean();
            }
        });
    }

    public boolean live() {
        return parts.stream().allMatch(Part::alive);
    }

    public boolean ready() {
        return parts.stream().allMatch(p -> p.alive() && p.ready());
    }

    /** One line per part: {@code name: ready | not ready | dead}. */
    public String report() {
        StringBuilder b = new StringBuilder();
        for (Part p : parts) {
            b.append(p.name()).append(": ").append(!p.alive() ? "dead" : p.ready() ? "ready" : "not ready").append('\n');
        }
        return b.toString();
    }
}
