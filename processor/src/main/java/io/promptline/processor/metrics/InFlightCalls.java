package io.promptline.processor.metrics;

import io.promptline.avro.Priority;

/** What the in-flight gauges read: the calls open now per tier, and the JVM-wide limit. Thread-safe. */
public interface InFlightCalls {
    int inFlight(Priority tier);

    int limit();
}
