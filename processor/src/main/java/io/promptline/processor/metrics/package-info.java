/**
 * The processor's meters (Micrometer, exported to Prometheus). It observes the other packages only
 * through the small interfaces it owns ({@code InFlightCalls}, {@code EndpointGauges}) and plain
 * values, so it depends on none of them.
 */
package io.promptline.processor.metrics;
