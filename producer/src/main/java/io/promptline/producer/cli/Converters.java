package io.promptline.producer.cli;

import io.promptline.avro.Priority;
import io.promptline.topics.DurationFormat;
import picocli.CommandLine;

import java.time.Duration;
import java.util.Locale;

/** Parsers for option values, with messages naming what is accepted. */
final class Converters {
    private Converters() {
    }

    static final class PriorityConverter implements CommandLine.ITypeConverter<Priority> {
        @Override
        public Priority convert(String value) {
            try {
                return Priority.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a priority; use urgent, normal or batch");
            }
        }
    }

    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return DurationFormat.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
