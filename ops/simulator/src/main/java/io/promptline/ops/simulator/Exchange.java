package io.promptline.ops.simulator;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One held chat-completion request: tracks in-flight accounting, the pending timer (latency or
 * hang) and the client closing the connection first. All methods but {@link #finish()} run on the
 * request's event loop; {@code finish()} may also be called by the simulator's close, after its
 * servers are undeployed, for exchanges whose close handler never ran.
 */
final class Exchange {

    private final Vertx vertx;
    private final RoutingContext ctx;
    private final StatsCollector stats;
    private final Set<Exchange> open;
    private final AtomicBoolean done = new AtomicBoolean();
    private long timerId = -1;
    private boolean counted;

    Exchange(Vertx vertx, RoutingContext ctx, StatsCollector stats, Set<Exchange> open) {
        this.vertx = vertx;
        this.ctx = ctx;
        this.stats = stats;
        this.open = open;
        stats.started();
        open.add(this);
        ctx.response().closeHandler(v -> onConnectionClosed());
    }

    RoutingContext ctx() {
        return ctx;
    }

    /** Whether the exchange is over (answered, closed by us, or closed by the client). */
    boolean done() {
        return done.get();
    }

    /** Marks the outcome as counted (so a later close is not counted as client_closed). */
    void counted() {
        counted = true;
    }

    /** Runs {@code action} after {@code delayMillis} (at once when 0) unless the client goes away first. */
    void after(long delayMillis, Runnable action) {
        if (delayMillis <= 0) {
            action.run();
            return;
        }
        timerId = vertx.setTimer(delayMillis, id -> {
            timerId = -1;
            if (!done.get()) {
                action.run();
            }
        });
    }

    /** Closes the connection without answering (HTTP/2: resets the stream). */
    void abort() {
        finish();
        if (ctx.request().version() == HttpVersion.HTTP_2) {
            ctx.response().reset();
        } else {
            ctx.request().connection().close();
        }
    }

    private void onConnectionClosed() {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
            timerId = -1;
        }
        if (!done.get() && !counted) {
            counted = true;
            stats.outcome(Outcome.CLIENT_CLOSED);
        }
        finish();
    }

    /**
     * Ends the in-flight accounting; called just before the answer is written, so a client that has
     * its response never observes the request as still in flight.
     */
    void finish() {
        if (done.compareAndSet(false, true)) {
            open.remove(this);
            stats.finished();
        }
    }
}
