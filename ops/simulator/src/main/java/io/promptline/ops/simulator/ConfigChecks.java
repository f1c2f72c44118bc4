package io.promptline.ops.simulator;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Validation helpers of {@link SimulatorConfig}; every message names the property and the value. */
final class ConfigChecks {

    private ConfigChecks() {}

    static void notBlank(String key, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(SimulatorConfig.PREFIX + key + " must not be blank, was '" + value + "'");
        }
    }

    static void fraction(String key, double value) {
        if (!(value >= 0.0 && value <= 1.0)) {
            throw new IllegalArgumentException(SimulatorConfig.PREFIX + key + " must be in [0,1], was " + value);
        }
    }

    static void range(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(
                    SimulatorConfig.PREFIX + key + " must be in [" + min + "," + max + "], was " + value);
        }
    }

    static List<String> models(List<String> models) {
        if (models == null) {
            throw new IllegalArgumentException(SimulatorConfig.PREFIX + "models must not be null");
        }
        List<String> copy = new ArrayList<>(models.size());
        for (String m : models) {
            if (m == null || m.isBlank()) {
                throw new IllegalArgumentException(
                        SimulatorConfig.PREFIX + "models must not contain blank ids, was " + models);
            }
            copy.add(m);
        }
        return Collections.unmodifiableList(copy);
    }

    static Map<String, Integer> contextWindows(Map<String, Integer> windows) {
        if (windows == null) {
            throw new IllegalArgumentException(SimulatorConfig.PREFIX + "context.windows must not be null");
        }
        Map<String, Integer> copy = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : windows.entrySet()) {
            if (e.getKey() == null || e.getKey().isBlank() || e.getValue() == null || e.getValue() < 1) {
                throw new IllegalArgumentException(SimulatorConfig.PREFIX
                        + "context.windows entries must map a model to a window >= 1, was " + e.getKey() + "=" + e.getValue());
            }
            copy.put(e.getKey(), e.getValue());
        }
        return Collections.unmodifiableMap(copy);
    }

    static void rates(double r429, double r500, double r503, double hang, double reset, double ctx, double r401) {
        fraction("fault.rate.429", r429);
        fraction("fault.rate.500", r500);
        fraction("fault.rate.503", r503);
        fraction("fault.rate.hang", hang);
        fraction("fault.rate.reset", reset);
        fraction("fault.rate.context_length", ctx);
        fraction("fault.rate.401", r401);
        double sum = r429 + r500 + r503 + hang + reset + ctx + r401;
        if (sum > 1.0 + 1e-9) {
            throw new IllegalArgumentException(SimulatorConfig.PREFIX + "fault.rate.* must sum to at most 1, was " + sum);
        }
    }
}
