package io.promptline.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Java main class in its own JVM with this JVM's classpath, for tests that must kill a
 * deployable for real: {@link #kill()} is SIGKILL (kill -9), {@link #stop} is SIGTERM and runs
 * the process's shutdown hooks.
 */
public final class JavaProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private JavaProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    public static JavaProcess start(Class<?> mainClass, Map<String, String> env, Path log, String... jvmArgs) {
        return startWithArgs(mainClass, env, log, List.of(jvmArgs), List.of());
    }

    /** As {@link #start}, with program arguments after the main class. */
    public static JavaProcess startWithArgs(Class<?> mainClass, Map<String, String> env, Path log, List<String> jvmArgs, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        try {
            return new JavaProcess(pb.start(), log);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot start " + mainClass.getName() + ": " + e.getMessage(), e);
        }
    }

    /** kill -9: no shutdown hooks, no graceful close, connections dropped. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGTERM and wait; true if it exited within the timeout. */
    public boolean stop(Duration timeout) {
        process.destroy();
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    @Override
    public void close() {
        if (process.isAlive()) kill();
    }
}
