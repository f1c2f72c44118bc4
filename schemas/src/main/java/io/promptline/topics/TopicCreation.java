package io.promptline.topics;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.LeaderNotAvailableException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates topics and waits until every partition is served. The metadata names a leader a moment
 * before the broker acts as one: producing then gets NOT_LEADER_OR_FOLLOWER, and an idempotent
 * producer's retries after it can be refused with OUT_OF_ORDER_SEQUENCE until its delivery
 * timeout. A ListOffsets that every partition answers shows its leader serves it.
 */
public final class TopicCreation {
    private TopicCreation() {
    }

    /**
     * Creates those of {@code topics} that do not exist yet, then waits until all of them are
     * served; returns the names it created. A topic another client creates meanwhile (instances
     * starting together) counts as existing, not as an error.
     */
    public static List<String> createAndAwait(Admin admin, Collection<NewTopic> topics, Duration timeout) {
        try {
            Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = topics.stream().filter(t -> !existing.contains(t.name())).toList();
            List<String> created = new ArrayList<>();
            if (!missing.isEmpty()) {
                var results = admin.createTopics(missing).values();
                for (var e : results.entrySet()) {
                    try {
                        e.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                        created.add(e.getKey());
                    } catch (ExecutionException ex) {
                        // Another instance starting at the same time made it between the look and the create: it exists, as wanted
                        if (!(ex.getCause() instanceof TopicExistsException)) throw ex;
                    }
                }
            }
            awaitServed(admin, topics.stream().map(NewTopic::name).toList(), timeout);
            return missing.stream().map(NewTopic::name).filter(created::contains).toList();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topics " + topics.stream().map(NewTopic::name).toList() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating topics", e);
        }
    }

    /** Waits until the leader of every partition of the topics answers, for at most {@code timeout}. */
    public static void awaitServed(Admin admin, Collection<String> names, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                var described = admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS).values();
                boolean named = described.stream().allMatch(d -> d.partitions().stream()
                        .allMatch(p -> p.leader() != null && !p.leader().isEmpty() && !p.isr().isEmpty()));
                if (named) {
                    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                    described.forEach(d -> d.partitions().forEach(p -> latest.put(new TopicPartition(d.name(), p.partition()),
                            OffsetSpec.latest())));
                    admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException || e.getCause() instanceof NotLeaderOrFollowerException
                        || e.getCause() instanceof LeaderNotAvailableException)) {
                    throw new IllegalStateException("cannot describe topics " + names + ": " + e.getCause().getMessage(), e.getCause());
                }
            } catch (TimeoutException e) {
                // the broker is slow to answer: try again until the deadline
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topics " + names + " are not served by their leaders after " + timeout.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
    }
}
