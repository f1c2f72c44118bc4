package io.promptline.processor;

import io.promptline.processor.config.ProcessorConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * This instance's stable name: the configured one, else one made once and kept in the state
 * directory, so a restarted instance has the name it had (as Kafka Streams keeps its process id
 * there). The retry relay's transactional.id carries it, so that the restarted relay fences what a
 * crashed one left open at once, instead of the tier topics waiting for that transaction's timeout.
 */
final class InstanceId {
    static final String FILE = "promptline-instance.id";

    private InstanceId() {
    }

    static String of(ProcessorConfig config) {
        if (!config.instanceId().isEmpty()) return config.instanceId();
        Path dir = Path.of(config.stateDir());
        Path file = dir.resolve(FILE);
        try {
            if (Files.exists(file)) {
                String kept = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (!kept.isEmpty()) return kept;
            }
            Files.createDirectories(dir);
            String made = UUID.randomUUID().toString();
            Path tmp = Files.createTempFile(dir, FILE, ".tmp");
            Files.writeString(tmp, made, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return made;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep this instance's id in " + file + " (set " + ProcessorConfig.INSTANCE_ID_CONFIG
                    + " instead): " + e.getMessage(), e);
        }
    }
}
