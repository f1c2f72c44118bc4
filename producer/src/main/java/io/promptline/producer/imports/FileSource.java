package io.promptline.producer.imports;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;

/** An import source read from a local file: its number of lines known up front; closing it closes the file. */
abstract class FileSource implements ImportSource {
    private final long total;
    private final Closeable file;

    FileSource(long total, Closeable file) {
        this.total = total;
        this.file = file;
    }

    @Override
    public long total() {
        return total;
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the import file: " + e.getMessage(), e);
        }
    }
}
