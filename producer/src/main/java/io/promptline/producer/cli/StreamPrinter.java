package io.promptline.producer.cli;

import io.promptline.avro.ResultDelta;
import io.promptline.serde.AvroDeserializer;
import io.promptline.topics.CommittedReader;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code submit --stream}: prints the pieces of one request's answer from {@code llm.results.stream}
 * as they arrive, on a thread of its own. It reads from the topic's end as it was before the
 * request was published, so no piece is missed. A call made again (its answer cut short, the
 * processor restarted) streams from its first piece under a higher attempt: the printer says so
 * and prints that attempt's answer, never pieces of two attempts spliced together.
 */
final class StreamPrinter implements AutoCloseable {
    private final CommittedReader reader;
    private final AvroDeserializer<ResultDelta> decoder;
    private final String requestId;
    private final PrintWriter out;
    private final Thread thread;
    private volatile boolean stopping;
    private int attempt;
    private int nextSeq;
    private volatile boolean finished;

    StreamPrinter(Map<String, Object> kafka, String topic, AvroDeserializer<ResultDelta> decoder, String requestId, PrintWriter out) {
        this.reader = new CommittedReader(kafka, List.of(topic), "");
        this.reader.fromEnd(); // positions taken now, before the request is published
        this.decoder = decoder;
        this.requestId = requestId;
        this.out = out;
        this.thread = new Thread(this::run, "stream " + requestId);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        while (!stopping) {
            reader.poll(Duration.ofMillis(100)).forEach(r -> {
                if (r.value() == null) return;
                ResultDelta d = decoder.deserialize(r.topic(), r.value());
                if (d.getRequestId().equals(requestId)) piece(d);
            });
        }
    }

    private synchronized void piece(ResultDelta d) {
        if (d.getAttempt() < attempt) return; // a piece of an earlier call, read late
        if (d.getAttempt() > attempt) {
            if (attempt > 0) out.printf("%n[attempt %d: the answer starts again]%n", d.getAttempt());
            attempt = d.getAttempt();
            nextSeq = 0;
        }
        if (d.getSeq() != nextSeq) return; // never splice: a gap or a repeat is not printed
        nextSeq++;
        out.print(d.getContent());
        out.flush();
        if (d.getFinishReason() != null) finished = true;
    }

    /** Waits up to {@code wait} for the last piece of the answer (the result may be read before it). */
    boolean awaitEnd(Duration wait) throws InterruptedException {
        long until = System.nanoTime() + wait.toNanos();
        while (!finished && System.nanoTime() < until) Thread.sleep(20);
        return finished;
    }

    /** Whether any piece was printed. */
    synchronized boolean printed() {
        return attempt > 0;
    }

    @Override
    public void close() throws InterruptedException {
        stopping = true;
        thread.join(2_000);
        reader.close();
    }
}
