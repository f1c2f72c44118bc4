/**
 * The whole pipeline on one machine without Docker ({@code ops/run-local.sh}): a Kafka broker process,
 * the registry, the simulator (or a real provider), PostgreSQL, processor and sink, a sample load and
 * the report of what happened. Operations tooling: it wires the deployables; none of them uses it.
 */
package io.promptline.ops.local;
