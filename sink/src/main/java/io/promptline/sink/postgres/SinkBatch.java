package io.promptline.sink.postgres;

import io.promptline.avro.CostEvent;
import io.promptline.avro.CostRollup;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.PromptResult;

import java.util.ArrayList;
import java.util.List;

/** The decoded records of one poll, written in one database transaction. */
public final class SinkBatch {
    final List<Located<PromptResult>> results = new ArrayList<>();
    final List<Located<CostEvent>> costs = new ArrayList<>();
    final List<Located<DeadLetter>> deadLetters = new ArrayList<>();
    final List<Located<CostRollup>> rollups = new ArrayList<>();
    final List<Reject> rejects = new ArrayList<>();

    /** A value with the coordinates and bytes of the Kafka record it came from. */
    public record Located<T>(String topic, int partition, long offset, byte[] raw, T value) {
        Reject reject(String reason) {
            return new Reject(topic, partition, offset, reason, raw);
        }
    }

    /** A record that could not be decoded; stored with its bytes instead of being dropped. */
    public record Reject(String topic, int partition, long offset, String reason, byte[] raw) {
    }

    public void addResult(String topic, int partition, long offset, byte[] raw, PromptResult r) {
        results.add(new Located<>(topic, partition, offset, raw, r));
    }

    public void addCost(String topic, int partition, long offset, byte[] raw, CostEvent c) {
        costs.add(new Located<>(topic, partition, offset, raw, c));
    }

    public void addRollup(String topic, int partition, long offset, byte[] raw, CostRollup r) {
        rollups.add(new Located<>(topic, partition, offset, raw, r));
    }

    public void addDeadLetter(String topic, int partition, long offset, byte[] raw, DeadLetter d) {
        deadLetters.add(new Located<>(topic, partition, offset, raw, d));
    }

    /** Each record on its own, with the reject row to write if the database refuses it. */
    List<Single> singles() {
        List<Single> out = new ArrayList<>();
        for (var l : results) out.add(single(l, b -> b.results.add(l)));
        for (var l : costs) out.add(single(l, b -> b.costs.add(l)));
        for (var l : deadLetters) out.add(single(l, b -> b.deadLetters.add(l)));
        for (var l : rollups) out.add(single(l, b -> b.rollups.add(l)));
        for (var r : rejects) out.add(new Single(one(b -> b.rejects.add(r)), null));
        return out;
    }

    private static Single single(Located<?> l, java.util.function.Consumer<SinkBatch> add) {
        return new Single(one(add), l);
    }

    private static SinkBatch one(java.util.function.Consumer<SinkBatch> add) {
        SinkBatch b = new SinkBatch();
        add.accept(b);
        return b;
    }

    record Single(SinkBatch batch, Located<?> source) {
    }

    public void addReject(Reject r) {
        rejects.add(r);
    }

    /** Records per source topic (rejects not included). */
    public java.util.Map<String, Integer> countsByTopic() {
        java.util.Map<String, Integer> out = new java.util.TreeMap<>();
        for (List<? extends Located<?>> l : List.of(results, costs, deadLetters, rollups)) {
            for (Located<?> r : l) out.merge(r.topic(), 1, Integer::sum);
        }
        return out;
    }

    public int rejectCount() {
        return rejects.size();
    }

    public int size() {
        return results.size() + costs.size() + deadLetters.size() + rollups.size() + rejects.size();
    }
}
