/**
 * Avro serdes in the Confluent wire format (magic byte, schema id, Avro binary) with TopicNameStrategy
 * subjects, and the set of serdes for Promptline's records.
 */
package io.promptline.serde;
