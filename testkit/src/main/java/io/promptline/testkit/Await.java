package io.promptline.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling with a deadline, instead of sleeping and hoping. */
public final class Await {
    private Await() {
    }

    /** Polls until the condition holds; fails with the description and the last observed state. */
    public static void until(Duration timeout, String what, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out after " + timeout.toSeconds() + " s waiting for " + what + "; state: " + state.get());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }

    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        until(timeout, what, condition, () -> "n/a");
    }
}
