package io.promptline.ops.bench;

import io.promptline.avro.Priority;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.runtime.Threads;
import io.promptline.topics.Topics;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Load generators publishing real PromptRequests with the producer library. A {@link #backlog}
 * keeps a tier's topic a fixed number of requests ahead of the results, so the system under test
 * always has work but Kafka, not an unbounded pre-filled topic, sets the pace. A {@link #steady}
 * load publishes at a fixed rate (the urgent traffic of the priority scenario).
 */
final class Load implements AutoCloseable {
    /** A published request: when and to which tier. */
    record Sent(long createdAtMillis, Priority tier) {
    }

    /** Requests published and not yet matched with a result. */
    static final class Ledger {
        private final Map<String, Sent> open = new ConcurrentHashMap<>();

        void put(String requestId, Sent sent) {
            open.put(requestId, sent);
        }

        Sent take(String requestId) {
            return requestId == null ? null : open.remove(requestId);
        }
    }

    private static final String SYSTEM = "You are a concise assistant for a support team. Answer in two sentences.";
    private static final String TICKET = "Customer reports that invoices exported last week show the wrong VAT rate "
            + "for deliveries to Austria; they need corrected PDFs before the quarterly filing. Ticket ";

    private final PromptlineProducer producer;
    private final Ledger ledger;
    private final String runId;
    private final Thread thread;
    private final AtomicLong published = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean running = true;

    private Load(PromptlineProducer producer, Ledger ledger, String runId, String name, Runnable body) {
        this.producer = producer;
        this.ledger = ledger;
        this.runId = runId;
        this.thread = new Thread(body, name);
        thread.setDaemon(true);
    }

    /** Publishes to {@code tier} while fewer than {@code depth} of its requests await a result. */
    static Load backlog(String bootstrap, String registryUrl, Topics topics, Ledger ledger, String runId, Priority tier,
                        int depth, LongSupplier resultsOfTier) {
        Load[] self = new Load[1];
        self[0] = new Load(producer(bootstrap, registryUrl, topics), ledger, runId, "bench-backlog-" + tier, () -> {
            Load l = self[0];
            while (l.running) {
                if (l.published.get() - resultsOfTier.getAsLong() >= depth) {
                    Threads.sleep(5);
                    continue;
                }
                for (int i = 0; i < 200 && l.running; i++) l.publish(tier);
            }
        });
        self[0].thread.start();
        return self[0];
    }

    /** Publishes to {@code tier} at {@code perSecond}, in small bursts every 20 ms. */
    static Load steady(String bootstrap, String registryUrl, Topics topics, Ledger ledger, String runId, Priority tier,
                       double perSecond) {
        Load[] self = new Load[1];
        self[0] = new Load(producer(bootstrap, registryUrl, topics), ledger, runId, "bench-steady-" + tier, () -> {
            Load l = self[0];
            long start = System.nanoTime();
            while (l.running) {
                double due = (System.nanoTime() - start) / 1e9 * perSecond;
                while (l.published.get() < (long) due && l.running) l.publish(tier);
                Threads.sleep(20);
            }
        });
        self[0].thread.start();
        return self[0];
    }

    private static PromptlineProducer producer(String bootstrap, String registryUrl, Topics topics) {
        return PromptlineProducer.builder().bootstrapServers(bootstrap).schemaRegistryUrl(registryUrl).topics(topics)
                .kafka("linger.ms", 2).build();
    }

    private void publish(Priority tier) {
        long n = published.getAndIncrement();
        String id = runId + "-" + tier.name().charAt(0) + n;
        Prompt prompt = Prompt.builder("tenant-" + (n % 50)).requestId(id).priority(tier).model("gpt-4.1")
                .system(SYSTEM).user(TICKET + n).maxTokens(200).build();
        ledger.put(id, new Sent(System.currentTimeMillis(), tier));
        producer.submit(prompt).whenComplete((ok, e) -> {
            if (e != null) failure.compareAndSet(null, e);
        });
    }

    long published() {
        Throwable t = failure.get();
        if (t != null) throw new IllegalStateException("load generator failed to publish: " + t.getMessage(), t);
        return published.get();
    }

    @Override
    public void close() {
        running = false;
        Threads.join(thread, Duration.ofSeconds(10));
        producer.close();
    }
}
