package io.promptline.ops.local;

import java.util.concurrent.Callable;

/** What the local stack prints: numbered steps with their timing, then progress and the summary. */
final class Console {
    private int step;

    void step(String what, Callable<String> action) throws Exception {
        step++;
        System.out.printf("[%d] %-38s ", step, what + " ...");
        System.out.flush();
        long t0 = System.nanoTime();
        String detail = action.call();
        System.out.printf("ready in %.1f s  %s%n", (System.nanoTime() - t0) / 1e9, detail);
    }

    void line(String text) {
        System.out.println(text);
    }
}
