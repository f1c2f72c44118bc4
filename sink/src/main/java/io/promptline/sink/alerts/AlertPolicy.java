package io.promptline.sink.alerts;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which dead letters deserve a person's attention, and how often: an outage gives one alert, not
 * ten thousand.
 * <ul>
 *   <li>only the critical categories alert; PROVIDER_ERROR only when sustained ({@code sustainedCount}
 *       within {@code sustainedWindow});</li>
 *   <li>one alert per key per {@code dedupeWindow}: AUTHENTICATION and PROVIDER_ERROR are keyed by
 *       category (they concern the provider account), BUDGET_EXCEEDED by tenant;</li>
 *   <li>at most {@code maxPerMinute} alerts in all;</li>
 *   <li>what is held back is counted, and reported in a summary once the key's window has passed.</li>
 * </ul>
 * Not thread-safe: one consumer thread drives it.
 */
public final class AlertPolicy {
    private final Set<ErrorCategory> categories;
    private final int sustainedCount;
    private final Duration sustainedWindow;
    private final Duration dedupeWindow;
    private final int maxPerMinute;
    private final Clock clock;
    private final Map<String, KeyState> keys = new HashMap<>();
    private final Deque<Instant> sent = new ArrayDeque<>();

    private static final class KeyState {
        final Deque<Instant> recent = new ArrayDeque<>();
        Instant lastAlert;
        Instant heldSince;
        long held;
        String example;
    }

    public AlertPolicy(Set<ErrorCategory> categories, int sustainedCount, Duration sustainedWindow, Duration dedupeWindow,
                       int maxPerMinute, Clock clock) {
        if (sustainedCount < 1) throw new IllegalArgumentException("sustained count must be >= 1, was " + sustainedCount);
        if (maxPerMinute < 1) throw new IllegalArgumentException("alerts per minute must be >= 1, was " + maxPerMinute);
        this.categories = Set.copyOf(categories);
        this.sustainedCount = sustainedCount;
        this.sustainedWindow = sustainedWindow;
        this.dedupeWindow = dedupeWindow;
        this.maxPerMinute = maxPerMinute;
        this.clock = clock;
    }

    /** The alert this dead letter raises now, if any. */
    public List<Alert> offer(DeadLetter d) {
        if (!categories.contains(d.getCategory())) return List.of();
        Instant now = clock.instant();
        String key = key(d);
        KeyState s = keys.computeIfAbsent(key, k -> new KeyState());
        if (d.getCategory() == ErrorCategory.PROVIDER_ERROR) {
            s.recent.addLast(now);
            while (!s.recent.isEmpty() && s.recent.peekFirst().isBefore(now.minus(sustainedWindow))) s.recent.removeFirst();
            if (s.recent.size() < sustainedCount && s.lastAlert == null) return List.of(); // not (yet) sustained
        }
        if (s.heldSince == null) s.heldSince = now;
        s.held++;
        s.example = example(d);
        boolean windowOpen = s.lastAlert != null && now.isBefore(s.lastAlert.plus(dedupeWindow));
        if (windowOpen || !mayAlert(now)) return List.of();
        return List.of(fire(key, d.getCategory(), tenantOf(d), s, now, false));
    }

    /** Summaries for keys whose window has passed with dead letters held back; call periodically. */
    public List<Alert> tick() {
        Instant now = clock.instant();
        List<Alert> out = new ArrayList<>();
        keys.forEach((key, s) -> {
            if (s.held == 0 || s.lastAlert == null || now.isBefore(s.lastAlert.plus(dedupeWindow)) || !mayAlert(now)) return;
            String[] parts = key.split("\\|", 2);
            out.add(fire(key, ErrorCategory.valueOf(parts[0]), parts.length > 1 ? parts[1] : null, s, now, true));
        });
        return out;
    }

    private Alert fire(String key, ErrorCategory category, String tenant, KeyState s, Instant now, boolean summary) {
        Alert a = new Alert(key, category.name(), tenant, s.held, s.example, s.heldSince, now, summary);
        s.lastAlert = now;
        s.held = 0;
        s.heldSince = null;
        sent.addLast(now);
        return a;
    }

    private boolean mayAlert(Instant now) {
        while (!sent.isEmpty() && sent.peekFirst().isBefore(now.minus(Duration.ofMinutes(1)))) sent.removeFirst();
        return sent.size() < maxPerMinute;
    }

    private static String key(DeadLetter d) {
        return d.getCategory() == ErrorCategory.BUDGET_EXCEEDED ? d.getCategory() + "|" + d.getTenant() : d.getCategory().name();
    }

    private static String tenantOf(DeadLetter d) {
        return d.getCategory() == ErrorCategory.BUDGET_EXCEEDED ? d.getTenant() : null;
    }

    private static String example(DeadLetter d) {
        String m = d.getMessage() == null ? "" : d.getMessage();
        if (m.length() > 300) m = m.substring(0, 300) + "...";
        return "tenant " + d.getTenant() + ", request " + d.getRequestId() + (d.getHttpStatus() == null ? "" : ", HTTP " + d.getHttpStatus())
                + ": " + m;
    }
}
