package io.promptline.ops.bench.baseline;

import io.promptline.ops.bench.peer.BaselineSettings;
import io.promptline.ops.bench.peer.ChatAnswers;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.serde.AvroDeserializer;
import io.promptline.serde.AvroSerializer;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Baseline 2: the usual hand-written service: a plain consumer loop, a Vert.x Web Client and a
 * semaphore of C permits; each completion produces its result. Offsets are auto-committed, so
 * this is faster to write than it is safe: a crash loses the calls in flight or repeats them, and
 * nothing ties a result to its offset. It is here for throughput only.
 */
public final class SemaphoreConsumerBaseline {
    private SemaphoreConsumerBaseline() {
    }

    public static void main(String[] args) throws InterruptedException {
        BaselineSettings s = BaselineSettings.fromEnv(System.getenv());
        SchemaRegistryClient registry = new RestSchemaRegistryClient(s.registryUrl());
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        URI endpoint = URI.create(s.llmBaseUrl() + "/chat/completions");
        WebClient client = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                new PoolOptions().setHttp1MaxSize(s.concurrency()));
        Semaphore permits = new Semaphore(s.concurrency());
        KafkaProducer<String, PromptResult> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrap(), ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"), new StringSerializer(), new AvroSerializer<>(registry, true));
        KafkaConsumer<String, PromptRequest> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrap(), ConsumerConfig.GROUP_ID_CONFIG, s.groupId(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500),
                new StringDeserializer(), new AvroDeserializer<>(registry, PromptRequest.class));
        Runtime.getRuntime().addShutdownHook(new Thread(consumer::wakeup));
        consumer.subscribe(List.of(s.inputTopic()));
        try {
            while (true) {
                for (ConsumerRecord<String, PromptRequest> record : consumer.poll(Duration.ofMillis(100))) {
                    permits.acquire();
                    PromptRequest r = record.value();
                    long started = System.currentTimeMillis();
                    client.post(endpoint.getPort(), endpoint.getHost(), endpoint.getRawPath())
                            .putHeader("Content-Type", "application/json").putHeader("Idempotency-Key", r.getRequestId())
                            .timeout(60_000)
                            .sendBuffer(Buffer.buffer(ChatAnswers.body(r)))
                            .onComplete(ar -> {
                                try {
                                    if (ar.succeeded()) {
                                        PromptResult result = ChatAnswers.result(r, ar.result().statusCode(),
                                                ar.result().body().getBytes(), started, System.currentTimeMillis() - started);
                                        producer.send(new ProducerRecord<>(s.resultsTopic(), r.getRequestId(), result));
                                    }
                                } finally {
                                    permits.release();
                                }
                            });
                }
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            // shutdown
        } finally {
            consumer.close();
            producer.close(Duration.ofSeconds(10));
            vertx.close();
        }
    }
}
