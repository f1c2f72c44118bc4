package io.promptline.processor.output;

/** Where a record was read: topic, partition, offset. Every dead letter and retry names its request's origin. */
public record Origin(String topic, int partition, long offset) {
    @Override
    public String toString() {
        return topic + "-" + partition + "@" + offset;
    }
}
