package io.promptline.ops.simulator;

import java.util.concurrent.CountDownLatch;

/**
 * Runs the simulator from the command line: reads {@link SimulatorConfig#fromEnv(java.util.Map)}
 * (PROMPTLINE_SIMULATOR_* variables), starts, prints {@code simulator listening on <baseUrl>} on
 * stdout and runs until the JVM shuts down. Exits with status 2 on an invalid configuration.
 */
public final class SimulatorMain {

    private SimulatorMain() {}

    public static void main(String[] args) throws InterruptedException {
        SimulatorConfig cfg;
        try {
            cfg = SimulatorConfig.fromEnv(System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("invalid simulator configuration: " + e.getMessage());
            System.exit(2);
            return;
        }
        LlmSimulator simulator = new LlmSimulator(cfg);
        simulator.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            simulator.close();
            stopped.countDown();
        }, "simulator-shutdown"));
        System.out.println("simulator listening on " + simulator.baseUrl());
        System.out.flush();
        stopped.await();
    }
}
