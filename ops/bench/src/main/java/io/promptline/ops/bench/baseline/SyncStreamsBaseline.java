package io.promptline.ops.bench.baseline;

import io.promptline.ops.bench.peer.BaselineSettings;
import io.promptline.ops.bench.peer.ChatAnswers;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.serde.AvroDeserializer;
import io.promptline.serde.AvroSerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * Baseline 1: the obvious Kafka Streams processor, which makes the LLM call synchronously inside
 * process(). Same guarantee as Promptline (exactly_once_v2), one call at a time per stream thread;
 * it runs as many stream threads as the topic has partitions (BENCH_CONCURRENCY), the most that
 * helps.
 */
public final class SyncStreamsBaseline {
    private SyncStreamsBaseline() {
    }

    public static void main(String[] args) throws InterruptedException {
        BaselineSettings s = BaselineSettings.fromEnv(System.getenv());
        SchemaRegistryClient registry = new RestSchemaRegistryClient(s.registryUrl());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        URI endpoint = URI.create(s.llmBaseUrl() + "/chat/completions");

        Topology t = new Topology();
        t.addSource("in", Serdes.String().deserializer(), new AvroDeserializer<>(registry, PromptRequest.class), s.inputTopic());
        t.addProcessor("call", () -> new Processor<String, PromptRequest, String, PromptResult>() {
            private ProcessorContext<String, PromptResult> ctx;

            @Override
            public void init(ProcessorContext<String, PromptResult> context) {
                this.ctx = context;
            }

            @Override
            public void process(Record<String, PromptRequest> record) {
                PromptRequest r = record.value();
                long started = System.currentTimeMillis();
                HttpResponse<byte[]> answer;
                try {
                    answer = http.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(60))
                            .header("Content-Type", "application/json").header("Idempotency-Key", r.getRequestId())
                            .POST(HttpRequest.BodyPublishers.ofByteArray(ChatAnswers.body(r))).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                } catch (IOException e) {
                    throw new IllegalStateException("call failed: " + e.getMessage(), e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
                PromptResult result = ChatAnswers.result(r, answer.statusCode(), answer.body(), started,
                        System.currentTimeMillis() - started);
                ctx.forward(record.withKey(r.getRequestId()).withValue(result).withTimestamp(System.currentTimeMillis()));
            }
        }, "in");
        t.addSink("out", s.resultsTopic(), Serdes.String().serializer(), new AvroSerializer<PromptResult>(registry, true), "call");

        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, s.groupId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrap());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, s.concurrency());
        p.put(StreamsConfig.STATE_DIR_CONFIG, s.stateDir());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        KafkaStreams streams = new KafkaStreams(t, p);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(Duration.ofSeconds(20));
            stopped.countDown();
        }));
        streams.start();
        stopped.await();
    }
}
