package io.promptline.sink.postgres;

import io.promptline.avro.CostEvent;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.PromptResult;

import java.util.ArrayList;
import java.util.List;

/** The decoded records of one poll, written in one database transaction. */
public final class SinkBatch {
    final List<PromptResult> results = new ArrayList<>();
    final List<CostEvent> costs = new ArrayList<>();
    final List<Located<DeadLetter>> deadLetters = new ArrayList<>();
    final List<Reject> rejects = new ArrayList<>();

    /** A value with the coordinates of the Kafka record it came from. */
    public record Located<T>(String topic, int partition, long offset, T value) {
    }

    /** A record that could not be decoded; stored with its bytes instead of being dropped. */
    public record Reject(String topic, int partition, long offset, String reason, byte[] raw) {
    }

    public void addResult(PromptResult r) {
        results.add(r);
    }

    public void addCost(CostEvent c) {
        costs.add(c);
    }

    public void addDeadLetter(String topic, int partition, long offset, DeadLetter d) {
        deadLetters.add(new Located<>(topic, partition, offset, d));
    }

    public void addReject(Reject r) {
        rejects.add(r);
    }

    public int size() {
        return results.size() + costs.size() + deadLetters.size() + rejects.size();
    }
}
