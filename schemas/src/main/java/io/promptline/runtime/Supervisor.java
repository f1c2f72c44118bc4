package io.promptline.runtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs a deployable's background loops so that none dies unseen: a loop handles what it can
 * recover from itself (and stays alive); whatever escapes it is logged once with the loop's name,
 * marks the loop dead in {@link Health} (liveness fails) and is handed to {@code onDeath}, which in
 * a deployable's main stops the process with a non-zero status so the orchestrator restarts it.
 * A loop that returns while the deployable is not stopping counts as dead too. Thread-safe.
 */
public final class Supervisor {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

    private final Health health;
    private final Consumer<String> onDeath;
    private volatile boolean stopping;

    /** @param onDeath told the name and cause of a loop that died (after it is marked dead) */
    public Supervisor(Health health, Consumer<String> onDeath) {
        this.health = health;
        this.onDeath = onDeath;
    }

    public Health health() {
        return health;
    }

    /** A graceful stop began: loops that end now end as asked, not as failures. */
    public void stopping() {
        stopping = true;
    }

    /**
     * Starts {@code loop} on its own thread named {@code name}, watched by {@link Health}.
     *
     * @param ready whether the loop does its work now
     */
    public Thread start(String name, Runnable loop, BooleanSupplier ready) {
        Watched watched = new Watched(name, ready);
        health.add(watched);
        Thread t = new Thread(() -> {
            try {
                loop.run();
                if (!stopping) watched.died(name + " ended while the process runs");
            } catch (Throwable e) {
                if (stopping) {
                    log.info("{} ended while stopping: {}", name, e.toString());
                    return;
                }
                String why = KafkaRefusal.describe(e, "of this component").orElse(e.toString());
                log.error("{} cannot go on: {}", name, why, e);
                watched.died(name + " failed: " + why);
            }
        }, name);
        t.start();
        return t;
    }

    private final class Watched implements Health.Part {
        private final String name;
        private final BooleanSupplier ready;
        private volatile boolean dead;

        Watched(String name, BooleanSupplier ready) {
            this.name = name;
            this.ready = ready;
        }

        void died(String why) {
            dead = true;
            onDeath.accept(why);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean alive() {
            return !dead;
        }

        @Override
        public boolean ready() {
            return !dead && ready.getAsBoolean();
        }
    }
}
