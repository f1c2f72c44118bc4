/**
 * What the benchmark's baselines share (their settings, the same call and result as Promptline's),
 * and the Confluent Parallel Consumer baseline, which runs on its own class path (Vert.x 4, Kafka 3.7
 * clients).
 */
package io.promptline.ops.bench.peer;
