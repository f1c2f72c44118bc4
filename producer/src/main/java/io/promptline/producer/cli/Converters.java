package io.promptline.producer.cli;

import io.promptline.avro.Priority;
import io.promptline.topics.DurationFormat;
import picocli.CommandLine;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
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

    /** An instant: ISO-8601 ({@code 2026-11-01T00:00:00Z}), a date ({@code 2026-11-01}, 00:00 UTC), or a duration back from now ({@code 30d}). */
    static final class InstantConverter implements CommandLine.ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            String v = value.trim();
            try {
                if (v.length() == 10 && v.charAt(4) == '-') return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant();
                if (v.contains("T")) return Instant.parse(v);
                return Instant.now().minus(DurationFormat.parse(v));
            } catch (DateTimeParseException | IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a time; use 2026-11-01, 2026-11-01T00:00:00Z or a "
                        + "duration back from now such as 30d");
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
