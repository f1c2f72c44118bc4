package io.promptline.sink.alerts;

import com.sun.net.httpserver.HttpServer;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.registry.RegistryException;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.serde.AvroSerializer;
import io.promptline.testkit.Await;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.RegistryFixture;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The alert sink on the embedded broker, posting to a real HTTP server: an outage of thousands of dead letters posts one alert. */
class AlertSinkIntegrationTest {
    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();

    @Test
    void shouldPostOneSlackAlertForAnOutageAndNoneForNoise() throws Exception {
        Topics topics = KAFKA.newTopics(2);
        List<String> posts = new CopyOnWriteArrayList<>();
        HttpServer webhook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        webhook.createContext("/hooks/T000/B000/XXXX", ex -> {
            posts.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        webhook.start();
        AlertPolicy policy = new AlertPolicy(EnumSet.of(ErrorCategory.AUTHENTICATION, ErrorCategory.BUDGET_EXCEEDED, ErrorCategory.PROVIDER_ERROR),
                20, Duration.ofMinutes(5), Duration.ofHours(1), 10, Clock.systemUTC());
        AlertSink sink = new AlertSink(Map.of("bootstrap.servers", KAFKA.bootstrapServers(), "auto.offset.reset", "earliest"),
                "alerts-" + topics.base(), topics.dlq(), new RestSchemaRegistryClient(REGISTRY.url()), policy,
                URI.create("http://127.0.0.1:" + webhook.getAddress().getPort() + "/hooks/T000/B000/XXXX"));
        Thread t = new Thread(sink);
        t.start();
        try (KafkaProducer<String, DeadLetter> producer = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                new StringSerializer(), new AvroSerializer<>(new RestSchemaRegistryClient(REGISTRY.url()), true))) {
            // Given 5,000 AUTHENTICATION dead letters (a revoked key) and 1,000 RATE_LIMIT ones (noise)
            for (int i = 0; i < 6_000; i++) {
                ErrorCategory c = i % 6 == 5 ? ErrorCategory.RATE_LIMIT : ErrorCategory.AUTHENTICATION;
                producer.send(new ProducerRecord<>(topics.dlq(), "tenant-" + (i % 30), DeadLetter.newBuilder().setRequestId("r" + i)
                        .setTenant("tenant-" + (i % 30)).setCategory(c).setHttpStatus(c == ErrorCategory.AUTHENTICATION ? 401 : 429)
                        .setMessage(c == ErrorCategory.AUTHENTICATION ? "HTTP 401 from openai: Incorrect API key provided." : "HTTP 429")
                        .setAttempts(1).setOriginTopic(topics.requests(io.promptline.avro.Priority.NORMAL)).setOriginPartition(0)
                        .setOriginOffset(i).setFailedAt(Instant.now()).build()));
            }
            producer.flush();

            // Then exactly one alert is posted, as Slack incoming-webhook JSON
            Await.until(Duration.ofSeconds(30), "an alert", () -> !posts.isEmpty());
            Thread.sleep(3_000); // and no more come
            assertThat(posts).singleElement().satisfies(p -> {
                assertThat(p).startsWith("{\"text\":\"Promptline: AUTHENTICATION");
                assertThat(p).contains("Incorrect API key provided.").contains("\"blocks\"");
            });
            assertThat(sink.posted()).isEqualTo(1);
            assertThat(sink.failed()).isZero();
        } finally {
            sink.close();
            t.join(10_000);
            webhook.stop(0);
        }
    }

    @Test
    void shouldCountEveryDeadLetterThroughARegistryOutage() throws Exception {
        Topics topics = KAFKA.newTopics(1);
        List<String> posts = new CopyOnWriteArrayList<>();
        HttpServer webhook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        webhook.createContext("/hook", ex -> {
            posts.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        webhook.start();
        // PROVIDER_ERROR alerts only when sustained: exactly 20 dead letters must all be counted.
        AlertPolicy policy = new AlertPolicy(EnumSet.of(ErrorCategory.PROVIDER_ERROR), 20, Duration.ofMinutes(5), Duration.ofHours(1), 10,
                Clock.systemUTC());
        SchemaRegistryClient registry = new RestSchemaRegistryClient(REGISTRY.url());
        AtomicInteger outages = new AtomicInteger(3);
        SchemaRegistryClient flaky = (SchemaRegistryClient) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{SchemaRegistryClient.class}, (proxy, method, args) -> {
                    if (method.getName().equals("schemaById") && outages.getAndDecrement() > 0) {
                        throw new RegistryException.Unreachable(REGISTRY.url(), new java.net.ConnectException("Connection refused"));
                    }
                    try {
                        return method.invoke(registry, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        AlertSink sink = new AlertSink(Map.of("bootstrap.servers", KAFKA.bootstrapServers(), "auto.offset.reset", "earliest"),
                "alerts-" + topics.base(), topics.dlq(), flaky, policy, URI.create("http://127.0.0.1:" + webhook.getAddress().getPort() + "/hook"));
        Thread t = new Thread(sink);
        try (KafkaProducer<String, DeadLetter> producer = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                new StringSerializer(), new AvroSerializer<>(registry, true))) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>(topics.dlq(), "acme", DeadLetter.newBuilder().setRequestId("p" + i).setTenant("acme")
                        .setCategory(ErrorCategory.PROVIDER_ERROR).setHttpStatus(503).setMessage("HTTP 503 from openai")
                        .setAttempts(3).setOriginTopic(topics.requests(io.promptline.avro.Priority.NORMAL)).setOriginPartition(0)
                        .setOriginOffset(i).setFailedAt(Instant.now()).build()));
            }
            producer.flush();
            t.start();

            // The first reads fail while the registry is unreachable; the sink reads them again instead of skipping them
            Await.until(Duration.ofSeconds(30), "the sustained-outage alert", () -> !posts.isEmpty());
            assertThat(outages.get()).isNegative();
            assertThat(posts).singleElement().satisfies(p -> assertThat(p).startsWith("{\"text\":\"Promptline: PROVIDER_ERROR"));
        } finally {
            sink.close();
            t.join(10_000);
            webhook.stop(0);
        }
    }
}
