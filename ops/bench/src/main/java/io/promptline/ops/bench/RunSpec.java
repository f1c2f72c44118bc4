package io.promptline.ops.bench;

/**
 * One run of the benchmark: a system under test at an in-flight limit C and a simulator latency.
 *
 * @param concurrency C: Promptline's max in flight, the semaphore's permits, or the sync baseline's stream threads
 * @param latencySpec the simulator's latency distribution, e.g. {@code fixed:200}
 * @param latencyMs   L, the mean of that distribution
 * @param urgentPerSecond the rate of urgent requests in a PRIORITY run
 */
record RunSpec(String label, SystemUnderTest system, Kind kind, int concurrency, String latencySpec, long latencyMs,
               double urgentPerSecond) {

    enum SystemUnderTest {
        PROMPTLINE("promptline", "results and cost events exactly once through kill -9 (Kafka transactions), every call in flight "
                + "recorded durably (a call lost in a crash is billed), per-tenant rate limits, priority tiers, retries and a DLQ"),
        SYNC_STREAMS("baseline: sync call in Kafka Streams process()", "results exactly once (Kafka Streams exactly_once_v2), "
                + "one call at a time per stream thread"),
        CONSUMER_SEMAPHORE("baseline: consumer + Vert.x + semaphore", "none: offsets auto-committed apart from the results, so a "
                + "crash loses or repeats them"),
        PARALLEL_CONSUMER("baseline: Confluent Parallel Consumer (Vert.x)", "results at least once (an offset is committed after "
                + "its result is acknowledged; a crash repeats calls and results), unordered, no rate limits or retries");

        final String title;
        final String guarantees;

        SystemUnderTest(String title, String guarantees) {
            this.title = title;
            this.guarantees = guarantees;
        }
    }

    enum Kind {
        /** A backlog on one tier, drained as fast as the system can. */
        THROUGHPUT,
        /** The CPU ceiling: throughput at (near) zero latency. */
        CEILING,
        /** A batch backlog saturating capacity while urgent requests arrive at a steady rate. */
        PRIORITY
    }

    static RunSpec throughput(SystemUnderTest system, int c, long latencyMs) {
        return new RunSpec(label(system, c, latencyMs), system, Kind.THROUGHPUT, c, "fixed:" + latencyMs, latencyMs, 0);
    }

    /**
     * The CPU ceiling: a latency so small that C/L (51,200/s at C=1024) is far above what the CPU
     * allows, yet not zero (at zero every call returns at once and the processor churns tiny batches,
     * a regime no other run is in).
     */
    static RunSpec ceiling(int c) {
        return new RunSpec("ceiling-c" + c, SystemUnderTest.PROMPTLINE, Kind.CEILING, c, "fixed:20", 20, 0);
    }

    /** The unreported run that warms everything up before the measured ones. */
    static RunSpec warmup() {
        return new RunSpec("warmup", SystemUnderTest.PROMPTLINE, Kind.THROUGHPUT, 1024, "fixed:20", 20, 0);
    }

    static RunSpec priority(int c, long latencyMs, double urgentPerSecond) {
        return new RunSpec("priority-c" + c + "-l" + latencyMs, SystemUnderTest.PROMPTLINE, Kind.PRIORITY, c,
                "fixed:" + latencyMs, latencyMs, urgentPerSecond);
    }

    private static String label(SystemUnderTest system, int c, long latencyMs) {
        String s = switch (system) {
            case PROMPTLINE -> "pl";
            case SYNC_STREAMS -> "sync";
            case CONSUMER_SEMAPHORE -> "sem";
            case PARALLEL_CONSUMER -> "pc";
        };
        return s + "-c" + c + "-l" + latencyMs;
    }
}
