package io.promptline.processor.metrics;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds the values of a {@code tenant} label, so thousands of tenants do not become thousands of
 * series per meter: the tenants named in the configuration always get their own value, the first
 * {@code limit} others this process meets get theirs, and every later one is counted under
 * {@value #OTHER}. Nothing is dropped: a series of {@value #OTHER} holds what the unnamed tenants
 * add. Which tenants are first differs between instances; name the tenants a dashboard must show.
 * Thread-safe.
 */
public final class TenantLabels {
    public static final String OTHER = "other";
    private final Set<String> named;
    private final int limit;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    /**
     * @param named tenants always labelled by name
     * @param limit other tenants labelled by name, first come; 0 labels only the named ones
     */
    public TenantLabels(Collection<String> named, int limit) {
        if (limit < 0) throw new IllegalArgumentException("limit must be >= 0, was " + limit);
        this.named = Set.copyOf(named);
        this.limit = limit;
    }

    /** No bound: every tenant its own value (tests and tools). */
    public static TenantLabels unbounded() {
        return new TenantLabels(Set.of(), Integer.MAX_VALUE);
    }

    /** The label value for {@code tenant}: its name, or {@value #OTHER}. */
    public String of(String tenant) {
        if (named.contains(tenant) || seen.contains(tenant)) return tenant;
        synchronized (seen) {
            if (seen.size() < limit) {
                seen.add(tenant);
                return tenant;
            }
        }
        return seen.contains(tenant) ? tenant : OTHER;
    }
}
