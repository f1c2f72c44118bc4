/**
 * A schema registry server speaking the Confluent REST subset Promptline uses, with Avro's own
 * compatibility checks and a durable log, for tests and the local stack (docker-compose runs the real
 * Confluent one). It knows Avro and HTTP, nothing of Promptline's topics or records.
 */
package io.promptline.ops.registry;
