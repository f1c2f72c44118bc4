package io.promptline.ops.registry;

import org.apache.avro.Schema;

/**
 * An Avro schema with its canonical text. Two registrations denote the same schema when their
 * canonical texts are equal; the canonical text is Avro's own {@link Schema#toString()} of the
 * parsed schema, which normalises whitespace and key order but keeps defaults, docs, aliases and
 * custom properties (unlike the lossy parsing canonical form).
 */
public record ParsedSchema(Schema schema, String canonical) {

    /** Parses Avro schema text; throws 422 / 42201 when it is not a valid Avro schema. */
    public static ParsedSchema parse(String text) {
        if (text == null || text.isBlank()) {
            throw RegistryException.invalidSchema("Empty schema");
        }
        Schema schema;
        try {
            schema = new Schema.Parser().parse(text);
        } catch (RuntimeException e) {
            throw RegistryException.invalidSchema(text + ", details: " + e.getMessage());
        }
        return new ParsedSchema(schema, schema.toString());
    }
}
