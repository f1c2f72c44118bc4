package io.promptline.ops.registry;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

/**
 * Decides schema compatibility with Avro's own {@link SchemaCompatibility} and phrases the
 * incompatibilities the way the Confluent Schema Registry does in its 409 and verbose
 * compatibility answers.
 */
public final class CompatibilityChecker {

    /** An earlier version of a subject to check against. */
    public record Previous(int version, ParsedSchema schema) {}

    /**
     * Checks a candidate schema against earlier versions under a level.
     *
     * @param candidate the schema being registered or tested
     * @param previous earlier versions, oldest first; for a non-transitive level only the last
     *     one is checked
     * @return the incompatibility messages, empty when compatible
     */
    public List<String> check(ParsedSchema candidate, List<Previous> previous,
            CompatibilityLevel level) {
        if (level == CompatibilityLevel.NONE || previous.isEmpty()) {
            return List.of();
        }
        List<Previous> against = level.transitive()
                ? previous
                : List.of(previous.get(previous.size() - 1));
        List<String> messages = new ArrayList<>();
        for (int i = against.size() - 1; i >= 0; i--) {
            Previous old = against.get(i);
            List<String> differences = new ArrayList<>();
            if (level.backward()) {
                differences.addAll(describe(candidate.schema(), old.schema().schema(), true));
            }
            if (level.forward()) {
                differences.addAll(describe(old.schema().schema(), candidate.schema(), false));
            }
            if (!differences.isEmpty()) {
                messages.addAll(differences);
                messages.add("{oldSchemaVersion: " + old.version() + "}");
                messages.add("{oldSchema: '" + old.schema().canonical() + "'}");
            }
        }
        if (!messages.isEmpty()) {
            messages.add("{compatibility: '" + level.name() + "'}");
        }
        return messages;
    }

    private static List<String> describe(Schema reader, Schema writer, boolean readerIsNew) {
        SchemaCompatibility.SchemaCompatibilityResult result =
                SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getResult();
        if (result.getCompatibility() == SchemaCompatibilityType.COMPATIBLE) {
            return List.of();
        }
        String readerName = readerIsNew ? "new" : "old";
        String writerName = readerIsNew ? "old" : "new";
        List<String> out = new ArrayList<>();
        for (Incompatibility inc : result.getIncompatibilities()) {
            out.add("{errorType:'" + inc.getType() + "', description:'"
                    + description(inc, readerName, writerName) + "', additionalInfo:'"
                    + inc.getMessage() + "'}");
        }
        if (out.isEmpty()) {
            out.add("{errorType:'" + result.getCompatibility() + "', description:'The " + readerName
                    + " schema cannot read data written with the " + writerName + " schema'}");
        }
        return out;
    }

    private static String description(Incompatibility inc, String reader, String writer) {
        String location = inc.getLocation();
        switch (inc.getType()) {
            case NAME_MISMATCH:
                return "The name of the schema has changed (path '" + location + "')";
            case FIXED_SIZE_MISMATCH:
                return "The size of FIXED type field at path '" + location + "' in the " + reader
                        + " schema does not match with the " + writer + " schema";
            case MISSING_ENUM_SYMBOLS:
                return "The " + reader + " schema is missing enum symbols '" + inc.getMessage()
                        + "' at path '" + location + "' in the " + writer + " schema";
            case READER_FIELD_MISSING_DEFAULT_VALUE:
                return "The field '" + inc.getMessage() + "' at path '" + location + "' in the " + reader
                        + " schema has no default value and is missing in the " + writer + " schema";
            case TYPE_MISMATCH:
                return "The type (path '" + location + "') of a field in the " + reader
                        + " schema does not match with the " + writer + " schema";
            case MISSING_UNION_BRANCH:
                return "The " + reader + " schema is missing a type inside a union field at path '"
                        + location + "' in the " + writer + " schema";
            default:
                return "The " + reader + " schema cannot read data written with the " + writer
                        + " schema at path '" + location + "'";
        }
    }
}
