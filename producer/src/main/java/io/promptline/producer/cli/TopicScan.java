package io.promptline.producer.cli;

import io.promptline.topics.CommittedReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/** Reads topics as a downstream application does (read_committed, no consumer group): to their current end, or on. */
final class TopicScan {
    private TopicScan() {
    }

    /** Every record from the beginning to the end offsets at the start of the scan. */
    static void toEnd(Map<String, Object> kafka, List<String> topics, Consumer<ConsumerRecord<byte[], byte[]>> each) {
        CommittedReader.readToEnd(kafka, topics, "", each);
    }

    /** Records from the beginning or from now, until {@code stop}; {@code follow} false stops at the current end. */
    static void follow(Map<String, Object> kafka, List<String> topics, boolean fromBeginning, boolean follow, BooleanSupplier stop,
                       Consumer<ConsumerRecord<byte[], byte[]>> each) {
        try (CommittedReader reader = new CommittedReader(kafka, topics, "")) {
            if (fromBeginning) reader.fromBeginning();
            else reader.fromEnd();
            Map<TopicPartition, Long> end = reader.endOffsets();
            while (!stop.getAsBoolean()) {
                reader.poll(Duration.ofMillis(200)).forEach(each);
                if (!follow && reader.reached(end)) return;
            }
        }
    }
}
