/**
 * The operators' HTTP endpoint of every deployable ({@code /metrics}, {@code /health/live},
 * {@code /health/ready}) and a reader of the Prometheus text format for tools and tests.
 */
package io.promptline.metrics;
