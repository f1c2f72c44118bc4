package io.promptline.ops.local.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * A random schedule of faults, made from a seed so that a failed run replays exactly: each event
 * starts at an offset into the run and lasts a while (an outage, a fault window; a kill is
 * followed by a restart). Events of the infrastructure (broker, registry, PostgreSQL, processors)
 * never overlap one another; provider fault windows and operations (quota changes, a partition
 * increase) may fall into them. Every kind of event happens at least once.
 */
record ChaosSchedule(long seed, List<Event> events) {

    /** What happens. */
    enum Kind {
        PROCESSOR_KILL(true), PROCESSOR_RESTART(true), BROKER_KILL(true), REGISTRY_OUTAGE(true), POSTGRES_OUTAGE(true),
        PROVIDER_429(false), PROVIDER_5XX(false), PROVIDER_TIMEOUTS(false), PROVIDER_401(false), LONG_RETRY_AFTER(false),
        QUOTA_CHANGE(false), PARTITION_INCREASE(false);

        final boolean infrastructure;

        Kind(boolean infrastructure) {
            this.infrastructure = infrastructure;
        }
    }

    /**
     * @param target which processor (for processor events), else 0
     */
    record Event(Duration at, Kind kind, Duration lasts, int target) {
        @Override
        public String toString() {
            return String.format("%6.1f s  %-18s for %4.1f s%s", at.toMillis() / 1000.0, kind, lasts.toMillis() / 1000.0,
                    kind.name().startsWith("PROCESSOR") ? "  (processor " + target + ")" : "");
        }
    }

    /**
     * The schedule of a run of {@code length}: events between 10% and 75% of it (the rest lets every
     * request end), one infrastructure event at a time.
     */
    static ChaosSchedule make(long seed, Duration length, int processors) {
        Random random = new Random(seed);
        long from = length.toMillis() / 10;
        long to = length.toMillis() * 3 / 4;
        List<Kind> kinds = new ArrayList<>(List.of(Kind.values()));
        // Beyond one of each, more events the longer the run: one every 40 s or so.
        int extra = (int) Math.max(0, length.toSeconds() / 40 - kinds.size());
        for (int i = 0; i < extra; i++) kinds.add(Kind.values()[random.nextInt(Kind.values().length)]);
        Collections.shuffle(kinds, random);
        List<Event> events = new ArrayList<>();
        long infraFreeAt = from;
        long slot = (to - from) / kinds.size();
        for (int i = 0; i < kinds.size(); i++) {
            Kind k = kinds.get(i);
            long lasts = duration(k, random);
            long at = from + i * slot + (long) (random.nextDouble() * slot / 2);
            if (k.infrastructure) {
                at = Math.max(at, infraFreeAt);
                infraFreeAt = at + lasts + 10_000; // recovery time before the next one
            }
            events.add(new Event(Duration.ofMillis(at), k, Duration.ofMillis(lasts), random.nextInt(processors)));
        }
        events.sort(Comparator.comparing(Event::at));
        return new ChaosSchedule(seed, List.copyOf(events));
    }

    private static long duration(Kind k, Random random) {
        return switch (k) {
            case PROCESSOR_KILL, PROCESSOR_RESTART -> 3_000 + random.nextInt(7_000);
            case BROKER_KILL -> 4_000 + random.nextInt(5_000);
            case REGISTRY_OUTAGE -> 5_000 + random.nextInt(10_000);
            case POSTGRES_OUTAGE -> 5_000 + random.nextInt(15_000);
            case PROVIDER_429, PROVIDER_5XX, PROVIDER_TIMEOUTS -> 8_000 + random.nextInt(12_000);
            case PROVIDER_401 -> 6_000 + random.nextInt(8_000);
            case LONG_RETRY_AFTER -> 5_000;
            case QUOTA_CHANGE, PARTITION_INCREASE -> 0;
        };
    }

    /** The schedule as printed at the start of a run (so a failure can be replayed by its seed). */
    String describe() {
        StringBuilder b = new StringBuilder("schedule of seed " + seed + ":\n");
        events.forEach(e -> b.append("  ").append(e).append('\n'));
        return b.toString();
    }
}
