/**
 * The systems Promptline is measured against, doing the same job (decode, call, produce a result):
 * a synchronous Kafka Streams processor and a plain consumer with a Vert.x client and a semaphore.
 * Each runs as its own JVM; they share the request body and result record, and nothing else.
 */
package io.promptline.ops.bench.baseline;
