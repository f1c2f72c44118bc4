package io.promptline.ops.bench.peer;

import io.confluent.parallelconsumer.ParallelConsumerOptions;
import io.confluent.parallelconsumer.ParallelConsumerOptions.CommitMode;
import io.confluent.parallelconsumer.ParallelConsumerOptions.ProcessingOrder;
import io.confluent.parallelconsumer.vertx.VertxParallelEoSStreamProcessor;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.serde.AvroDeserializer;
import io.promptline.serde.AvroSerializer;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
import java.util.concurrent.CountDownLatch;

/**
 * Baseline 3: Confluent Parallel Consumer, the library teams reach for to call an HTTP service per
 * record without blocking, with its Vert.x module doing the same job as the others (decode, call the
 * simulator, produce the result). Unordered (per record, as Promptline's calls are), at most C
 * records in flight, offsets committed asynchronously by the library once a record's future
 * completes — here after its result is acknowledged by the broker. What it guarantees: results at
 * least once (a crash repeats the calls and results since the last commit; no transactions, no
 * durable record of a call in flight, no rate limits or retries). It runs on the versions the
 * library was built for (Vert.x 4, Kafka 3.7 clients: its Vert.x module calls methods Vert.x 5
 * removed), in its own JVM, on this module's class path.
 */
public final class ParallelConsumerBaseline {
    private ParallelConsumerBaseline() {
    }

    public static void main(String[] args) throws InterruptedException {
        BaselineSettings s = BaselineSettings.fromEnv(System.getenv());
        SchemaRegistryClient registry = new RestSchemaRegistryClient(s.registryUrl());
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        URI endpoint = URI.create(s.llmBaseUrl() + "/chat/completions");
        WebClient client = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                .setMaxPoolSize(s.concurrency()));
        KafkaProducer<String, PromptResult> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrap(), ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"), new StringSerializer(), new AvroSerializer<>(registry, true));
        KafkaConsumer<String, PromptRequest> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrap(), ConsumerConfig.GROUP_ID_CONFIG, s.groupId(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500),
                new StringDeserializer(), new AvroDeserializer<>(registry, PromptRequest.class));
        ParallelConsumerOptions<String, PromptRequest> options = ParallelConsumerOptions.<String, PromptRequest>builder()
                .consumer(consumer)
                .ordering(ProcessingOrder.UNORDERED)
                .maxConcurrency(s.concurrency())
                .commitMode(CommitMode.PERIODIC_CONSUMER_ASYNCHRONOUS)
                // Kafka 4's consumer keeps its settings where the library's reflective auto-commit check does not look; it is off (above).
                .ignoreReflectiveAccessExceptionsForAutoCommitDisabledCheck(true)
                .build();
        VertxParallelEoSStreamProcessor<String, PromptRequest> pc = new VertxParallelEoSStreamProcessor<>(vertx, client, options);
        pc.subscribe(List.of(s.inputTopic()));
        pc.vertxFuture(ctx -> {
            PromptRequest r = ctx.value();
            long started = System.currentTimeMillis();
            return client.post(endpoint.getPort(), endpoint.getHost(), endpoint.getRawPath())
                    .putHeader("Content-Type", "application/json").putHeader("Idempotency-Key", r.getRequestId())
                    .timeout(60_000)
                    .sendBuffer(Buffer.buffer(ChatAnswers.body(r)))
                    .compose(response -> {
                        PromptResult result = ChatAnswers.result(r, response.statusCode(), response.body().getBytes(), started,
                                System.currentTimeMillis() - started);
                        Promise<Void> sent = Promise.promise();
                        producer.send(new ProducerRecord<>(s.resultsTopic(), r.getRequestId(), result), (meta, error) -> {
                            if (error != null) sent.fail(error);
                            else sent.complete();
                        });
                        return sent.future();
                    });
        });
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            pc.closeDontDrainFirst(Duration.ofSeconds(10));
            producer.close(Duration.ofSeconds(10));
            vertx.close();
            stop.countDown();
        }));
        stop.await();
    }
}
