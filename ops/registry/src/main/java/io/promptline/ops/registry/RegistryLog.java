package io.promptline.ops.registry;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only event log that makes the registry durable: one JSON object per line, each
 * append written and forced to disk before the change is acknowledged. The file is locked while
 * open so two registries cannot share a data directory.
 *
 * <p>On open, every line is replayed in order. An unterminated last line that is not a complete
 * event is what a crash in the middle of an append leaves behind: it is dropped with a warning and
 * cut from the file. Any other bad line fails the open with the file and line number.
 */
final class RegistryLog implements AutoCloseable {
    /** Name of the log file inside the data directory. */
    static final String FILE_NAME = "registry-log.jsonl";

    private static final Logger LOG = LoggerFactory.getLogger(RegistryLog.class);
    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private long size;
    private boolean broken;

    private RegistryLog(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Opens (creating if needed) the log in {@code dataDir} and replays it into {@code replay}.
     * {@code replay} throws {@link IllegalArgumentException} for an event inconsistent with the
     * state so far, which counts as corruption of that line.
     */
    static RegistryLog open(Path dataDir, Consumer<LogEvent> replay) {
        Path file = dataDir.resolve(FILE_NAME);
        FileChannel channel = null;
        try {
            Files.createDirectories(dataDir);
            boolean existed = Files.exists(file);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock = tryLock(channel);
            if (lock == null) {
                throw new RegistryStoreException("Schema registry data directory " + dataDir
                        + " is in use by another registry (cannot lock " + file + ")");
            }
            if (!existed) {
                forceDirectory(dataDir);
            }
            RegistryLog log = new RegistryLog(file, channel, lock);
            log.replay(replay);
            return log;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new RegistryStoreException("Cannot open schema registry log " + file + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    Path file() {
        return file;
    }

    /** Appends one event and forces it to disk; on failure the log is left as it was. */
    synchronized void append(LogEvent event) throws IOException {
        if (broken) {
            throw new IOException("schema registry log " + file + " is unusable after a failed write");
        }
        byte[] json = MAPPER.writeValueAsBytes(event.toJson(MAPPER));
        byte[] line = Arrays.copyOf(json, json.length + 1);
        line[json.length] = '\n';
        long start = size;
        try {
            writeFully(ByteBuffer.wrap(line), start);
            channel.force(false);
            size = start + line.length;
        } catch (IOException e) {
            try {
                channel.truncate(start);
                channel.force(false);
            } catch (IOException rollback) {
                e.addSuppressed(rollback);
                broken = true;
            }
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } catch (IOException e) {
            LOG.warn("Cannot release lock on {}: {}", file, e.toString());
        }
        closeQuietly(channel);
    }

    private void replay(Consumer<LogEvent> replay) throws IOException {
        long length = channel.size();
        if (length > Integer.MAX_VALUE - 16) {
            throw new RegistryStoreException("Schema registry log " + file + " is too large");
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, buffer.position()) < 0) {
                break;
            }
        }
        byte[] bytes = buffer.array();
        int count = buffer.position();
        int start = 0;
        int lineNumber = 0;
        for (int i = 0; i < count; i++) {
            if (bytes[i] == '\n') {
                lineNumber++;
                replayLine(replay, decode(bytes, start, i, lineNumber), lineNumber);
                start = i + 1;
            }
        }
        size = count;
        if (start < count) {
            lineNumber++;
            LogEvent tail;
            try {
                tail = LogEvent.fromJson(MAPPER.readTree(bytes, start, count - start));
            } catch (IOException | RuntimeException e) {
                LOG.warn("Ignoring incomplete last line {} of schema registry log {} ({} bytes, left by an"
                        + " interrupted write): {}", lineNumber, file, count - start, e.getMessage());
                channel.truncate(start);
                channel.force(false);
                size = start;
                return;
            }
            replayLine(replay, tail, lineNumber);
            writeFully(ByteBuffer.wrap(new byte[] {'\n'}), count);
            channel.force(false);
            size = count + 1L;
        }
    }

    private LogEvent decode(byte[] bytes, int from, int to, int lineNumber) {
        try {
            if (to == from) {
                throw new IllegalArgumentException("empty line");
            }
            return LogEvent.fromJson(MAPPER.readTree(bytes, from, to - from));
        } catch (IOException | RuntimeException e) {
            throw corrupt(lineNumber, e);
        }
    }

    private void replayLine(Consumer<LogEvent> replay, LogEvent event, int lineNumber) {
        try {
            replay.accept(event);
        } catch (RuntimeException e) {
            throw corrupt(lineNumber, e);
        }
    }

    private RegistryStoreException corrupt(int lineNumber, Exception cause) {
        return new RegistryStoreException("Corrupt schema registry log " + file + " at line "
                + lineNumber + ": " + cause.getMessage(), cause);
    }

    private void writeFully(ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            at += channel.write(buffer, at);
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("Cannot force directory {}: {}", dir, e.toString());
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warn("Cannot close {}: {}", channel, e.toString());
        }
    }
}
