package io.promptline.ops.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU busy time of the whole machine, from the first line of {@code /proc/stat}. */
final class MachineCpu {
    private MachineCpu() {
    }

    /** Seconds of CPU time spent busy (not idle, not waiting for I/O) since boot, over all cores. */
    static double busySeconds() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) total += Long.parseLong(f[i]); // user..steal
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return (total - idle) / 100.0;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read /proc/stat: " + e.getMessage(), e);
        }
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }
}
