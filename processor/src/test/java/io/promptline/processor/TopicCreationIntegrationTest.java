package io.promptline.processor;

import io.promptline.testkit.EmbeddedKafka;
import io.promptline.topics.TopicCreation;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Instances of a deployment start together (a StatefulSet scaled out, a rollout, the local
 * stack): each makes the topics it needs if they are missing. Another instance creating the
 * same topic between the look and the create is not an error: the topic exists, as wanted.
 */
class TopicCreationIntegrationTest {
    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();

    @Test
    void shouldLetInstancesStartingTogetherCreateTheSameTopics() throws Exception {
        int instances = 6;
        ExecutorService pool = Executors.newFixedThreadPool(instances);
        try {
            for (int round = 0; round < 5; round++) {
                List<NewTopic> topics = List.of(new NewTopic("race-" + round + "-a-" + System.nanoTime(), Optional.of(3), Optional.empty()),
                        new NewTopic("race-" + round + "-b-" + System.nanoTime(), Optional.of(3), Optional.empty()));
                CountDownLatch go = new CountDownLatch(1);
                List<Future<List<String>>> created = new ArrayList<>();
                for (int i = 0; i < instances; i++) {
                    created.add(pool.submit(() -> {
                        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
                            admin.listTopics().names().get(); // connected, so all look and create at once
                            go.await();
                            return TopicCreation.createAndAwait(admin, topics, Duration.ofSeconds(30));
                        }
                    }));
                }
                go.countDown();
                List<String> all = new ArrayList<>();
                for (Future<List<String>> f : created) all.addAll(f.get(60, TimeUnit.SECONDS));
                // Each topic created once, by whichever instance won; no instance failed
                assertThat(all).containsExactlyInAnyOrderElementsOf(topics.stream().map(NewTopic::name).toList());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
