package io.promptline.registry;

import org.apache.avro.Schema;

import java.util.List;

/**
 * The subset of the Confluent Schema Registry REST API that Promptline uses. Implementations
 * cache ids and schemas; every method may throw {@link RegistryException} (or one of its
 * named subtypes) with a message that says what happened and where.
 */
public interface SchemaRegistryClient {

    /** {@code POST /subjects/{subject}/versions}: registers (or finds) the schema and returns its global id. */
    int register(String subject, Schema schema);

    /** {@code POST /subjects/{subject}}: the id of a schema already registered under the subject. */
    int lookup(String subject, Schema schema);

    /** {@code GET /schemas/ids/{id}}: the schema with this global id. Cached forever (ids are immutable). */
    Schema schemaById(int id);

    /** {@code POST /compatibility/subjects/{subject}/versions/latest}: would registering this schema succeed? */
    boolean isCompatible(String subject, Schema schema);

    /** {@code GET /subjects}. */
    List<String> subjects();

    /** The base URLs this client talks to, for messages. */
    List<String> urls();
}
