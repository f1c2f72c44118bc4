package io.promptline.ops.local.chaos;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code ops/scale.sh}: the scale-out scenarios on the local stack's real processes, each printing its figures. */
public final class ScaleMain {
    static final String USAGE = """
            Usage: ops/scale.sh [--scenario NAME]... [--requests N] [--ids N] [--minutes M] [--dir D]
              --scenario hot-tenant   one tenant's backlog of --requests (default 100000) on 1, 2 and 3 processor JVMs
                                      (the tenant spread over 6 lines; each JVM 128 calls in flight at 800 ms latency)
              --scenario failover     two JVMs answer 20000 requests, the dedupe window is filled up to --ids request_ids
                                      (default 1000000, restored from the changelogs), then one JVM is killed -9: time to
                                      the first new result of every probe tenant, with 0 and with 1 standby replica; then
                                      the survivor's RSS at 1,024 calls in flight
              --scenario capacity     three JVMs share a deployment limited to 600 requests per minute for --minutes
                                      (default 3): calls per minute at the simulator; urgent latency through a 429 storm
              --scenario brokers      a three-broker cluster, two brokers killed -9 in turn under load: lost, doubled, stalls
              (default: all four, in this order)
              --dir D                 where the runs keep their data and logs (default .scale/<time>)
            Exit status 0 when every scenario's checks held (nothing lost or doubled, the limits kept).
            """;

    private ScaleMain() {
    }

    public static void main(String[] args) throws Exception {
        List<String> scenarios = new ArrayList<>();
        int requests = 100_000;
        int ids = 1_000_000;
        int minutes = 3;
        Path dir = Path.of(".scale", Long.toString(System.currentTimeMillis()));
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--scenario" -> scenarios.add(scenario(args[++i]));
                    case "--requests" -> requests = Integer.parseInt(args[++i]);
                    case "--ids" -> ids = Integer.parseInt(args[++i]);
                    case "--minutes" -> minutes = Integer.parseInt(args[++i]);
                    case "--dir" -> dir = Path.of(args[++i]);
                    case "--help", "-h" -> {
                        System.out.print(USAGE);
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (requests < 1 || ids < StateFailover.ANSWERED || minutes < 1) {
                throw new IllegalArgumentException("--requests and --minutes must be >= 1, --ids >= " + StateFailover.ANSWERED);
            }
        } catch (RuntimeException e) {
            System.err.print("scale: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
            return;
        }
        if (scenarios.isEmpty()) scenarios.addAll(List.of("hot-tenant", "failover", "capacity", "brokers"));
        Files.createDirectories(dir);
        System.out.printf("scale: %s; data and logs in %s%n", scenarios, dir);
        boolean held = true;
        for (String s : scenarios) {
            long t0 = System.nanoTime();
            switch (s) {
                case "hot-tenant" -> {
                    HotTenantScaling run = new HotTenantScaling(requests, System.out);
                    held &= report(s, run.run(dir.resolve(s)), run.figures, t0);
                }
                case "failover" -> {
                    StateFailover run = new StateFailover(ids, List.of(0, 1), System.out);
                    held &= report(s, run.run(dir.resolve(s)), run.figures, t0);
                }
                case "capacity" -> {
                    SharedCapacity run = new SharedCapacity(minutes, System.out);
                    held &= report(s, run.run(dir.resolve(s)), run.figures, t0);
                }
                default -> {
                    BrokerFailover run = new BrokerFailover(Duration.ofSeconds(15), Duration.ofSeconds(40), Duration.ofSeconds(20),
                            Duration.ofSeconds(20), 20, System.out);
                    held &= report(s, run.run(dir.resolve(s)), run.figures, t0);
                }
            }
        }
        System.exit(held ? 0 : 1);
    }

    private static String scenario(String name) {
        if (!List.of("hot-tenant", "failover", "capacity", "brokers").contains(name)) {
            throw new IllegalArgumentException("unknown scenario " + name + " (hot-tenant, failover, capacity, brokers)");
        }
        return name;
    }

    private static boolean report(String name, List<String> failures, Map<String, Object> figures, long t0) {
        System.out.printf("%n%s (%.0f s):%n", name, (System.nanoTime() - t0) / 1e9);
        figures.forEach((k, v) -> System.out.printf("  %-84s %s%n", k, v));
        failures.forEach(f -> System.out.println("  FAILED: " + f));
        System.out.println(failures.isEmpty() ? "  the checks held" : "  " + failures.size() + " checks failed");
        return failures.isEmpty();
    }
}
