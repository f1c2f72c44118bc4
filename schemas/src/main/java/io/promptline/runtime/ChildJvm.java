package io.promptline.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A main class of this classpath in its own JVM (the deployables a benchmark, the chaos harness or
 * a test runs), so that its CPU time and memory are its own and it can be killed for real:
 * {@link #kill()} is SIGKILL (kill -9), {@link #stop} SIGTERM (its shutdown hooks run). CPU from
 * {@code /proc/<pid>/stat} (user + system ticks), resident memory from {@code /proc/<pid>/status}.
 */
public final class ChildJvm implements AutoCloseable {
    /** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux this runs on. */
    private static final double TICKS_PER_SECOND = 100.0;

    private final String name;
    private final Process process;
    private final Path log;

    private ChildJvm(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    public static ChildJvm start(String name, Class<?> mainClass, Map<String, String> env, Path log, List<String> jvmArgs,
                          String... args) {
        return start(name, mainClass, System.getProperty("java.class.path"), env, log, jvmArgs, args);
    }

    /** As {@link #start(String, Class, Map, Path, List, String...)} with another classpath (e.g. another build to compare). */
    public static ChildJvm start(String name, Class<?> mainClass, String classpath, Map<String, String> env, Path log, List<String> jvmArgs,
                          String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        try {
            return new ChildJvm(name, pb.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    /** CPU seconds (user + system) the process has used so far. */
    public double cpuSeconds() {
        String stat = read("stat");
        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
    }

    /** Resident set size in bytes. */
    public long rssBytes() {
        for (String line : read("status").split("\n")) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
        throw new IllegalStateException("no VmRSS for " + name);
    }

    public void requireAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with code " + process.exitValue() + "; see " + log);
        }
    }

    private String read(String file) {
        requireAlive();
        try {
            return Files.readString(Path.of("/proc", Long.toString(process.pid()), file));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read /proc for " + name + ": " + e.getMessage(), e);
        }
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** kill -9: no shutdown hooks, connections dropped. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGTERM (its shutdown hooks run); SIGKILL if it has not exited within the timeout. Returns whether it exited in time. */
    public boolean stop(Duration timeout) {
        process.destroy();
        try {
            if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) return true;
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** The exit status, once it has exited. */
    public int exitValue() {
        return process.exitValue();
    }

    public Path log() {
        return log;
    }

    @Override
    public void close() {
        if (process.isAlive()) stop(Duration.ofSeconds(20));
    }
}
