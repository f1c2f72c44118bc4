package io.promptline.ops.local.chaos;

import io.promptline.metrics.PrometheusText;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.DescribeProducersResult;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * What a run that lost requests leaves to look at, printed and written beside the logs: for every
 * topic partition whose last stable offset lags its high watermark (an open transaction hides what
 * follows from read_committed readers), the producers with open transactions there; the
 * transactional ids whose transaction is ongoing and how old it is; every consumer group's lag per
 * partition; and each live processor's in-flight, breaker and streams gauges (the whole
 * exposition in {@code processor-N.metrics}).
 */
final class ChaosDiagnosis {
    private ChaosDiagnosis() {
    }

    static void print(ChaosStack stack, PrintStream out) {
        out.println("diagnosis (requests never ended):");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.broker().bootstrapServers()))) {
            Map<TopicPartition, Long> lso = stableOffsets(admin, out);
            openTransactions(admin, out);
            groupLag(admin, lso, out);
        } catch (Exception e) {
            out.println("  the broker could not be inspected: " + e);
        }
        for (int i = 0; i < stack.processorCount(); i++) {
            if (!stack.processorAlive(i)) {
                out.printf("  processor-%d: not running%n", i);
                continue;
            }
            String url = "http://127.0.0.1:" + stack.processorMetricsPort(i) + "/metrics";
            try {
                String text = PrometheusText.scrapeText(url);
                Files.writeString(stack.dir().resolve("processor-" + i + ".metrics"), text);
                String gauges = text.lines().filter(l -> !l.startsWith("#"))
                        .filter(l -> l.startsWith("promptline_calls_in_flight") || l.startsWith("promptline_breaker_state")
                                || l.startsWith("promptline_endpoint_misconfigured") || l.startsWith("kafka_stream_state")
                                || l.startsWith("kafka_stream_alive_stream_threads"))
                        .collect(Collectors.joining("\n      "));
                out.printf("  processor-%d (%s):%n      %s%n", i, url, gauges);
            } catch (RuntimeException | IOException e) {
                out.printf("  processor-%d: metrics unreadable: %s%n", i, e);
            }
        }
    }

    /** Latest stable offsets of every partition; prints those behind their high watermark with the open transactions there. */
    private static Map<TopicPartition, Long> stableOffsets(Admin admin, PrintStream out) throws Exception {
        // internal topics too: a transaction left open on __consumer_offsets blocks every committed-offset fetch of its group
        Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS);
        Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        described.values().forEach(d -> d.partitions().forEach(p -> latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> hw = admin.listOffsets(latest,
                new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> stable = admin.listOffsets(latest,
                new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, Long> lso = new HashMap<>();
        List<TopicPartition> behind = new ArrayList<>();
        stable.forEach((tp, info) -> {
            lso.put(tp, info.offset());
            if (info.offset() < hw.get(tp).offset()) behind.add(tp);
        });
        out.printf("  partitions whose last stable offset lags the high watermark: %d%n", behind.size());
        if (behind.isEmpty()) return lso;
        Map<TopicPartition, DescribeProducersResult.PartitionProducerState> producers = admin.describeProducers(behind).all()
                .get(30, TimeUnit.SECONDS);
        long now = System.currentTimeMillis();
        for (TopicPartition tp : behind) {
            List<String> open = new ArrayList<>();
            for (ProducerState s : producers.get(tp).activeProducers()) {
                if (s.currentTransactionStartOffset().isPresent()) {
                    open.add("producer " + s.producerId() + " epoch " + s.producerEpoch() + " from offset " + s.currentTransactionStartOffset().getAsLong()
                            + ", last write " + (now - s.lastTimestamp()) / 1000 + " s ago");
                }
            }
            out.printf("    %s: stable %d, high watermark %d; open: %s%n", tp, lso.get(tp), hw.get(tp).offset(), open);
        }
        return lso;
    }

    /** Transactional ids whose transaction is ongoing, with its age and partitions. */
    private static void openTransactions(Admin admin, PrintStream out) throws Exception {
        List<String> ids = admin.listTransactions().all().get(30, TimeUnit.SECONDS).stream().map(TransactionListing::transactionalId).toList();
        if (ids.isEmpty()) return;
        Map<String, TransactionDescription> txns = admin.describeTransactions(ids).all().get(30, TimeUnit.SECONDS);
        long now = System.currentTimeMillis();
        txns.forEach((id, t) -> {
            if (t.transactionStartTimeMs().isEmpty()) return;
            long age = now - t.transactionStartTimeMs().getAsLong();
            if (age < 30_000) return;
            out.printf("  transaction %s: %s for %d s (timeout %d ms), producer %d, partitions %s%n", id, t.state(), age / 1000,
                    t.transactionTimeoutMs(), t.producerId(), t.topicPartitions());
        });
    }

    /** Each consumer group's lag (last stable offset minus committed offset) on partitions that lag. */
    private static void groupLag(Admin admin, Map<TopicPartition, Long> lso, PrintStream out) throws Exception {
        for (ConsumerGroupListing g : admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS)) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(g.groupId()).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS);
            Map<TopicPartition, Long> lag = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
            committed.forEach((tp, o) -> {
                Long end = lso.get(tp);
                if (o != null && end != null && end > o.offset()) lag.put(tp, end - o.offset());
            });
            out.printf("  group %s (%s): lag %s%n", g.groupId(), g.groupState().map(Object::toString).orElse("?"), lag);
        }
    }
}
