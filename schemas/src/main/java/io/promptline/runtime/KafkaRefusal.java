package io.promptline.runtime;

import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

import java.util.Optional;

/**
 * A Kafka client error that retrying cannot fix because the cluster refuses who we are or what we
 * may do: a failed SASL/TLS authentication or a missing ACL. Retrying such an error forever (a
 * replaced stream thread, a polling loop) only fills the log; a deployable stops with this message
 * instead, naming the ACL it lacks, so whoever reads the crash knows what to grant.
 */
public final class KafkaRefusal {
    private KafkaRefusal() {
    }

    /**
     * The refusal somewhere in {@code e}'s causes, described for an operator, or empty.
     *
     * @param transactionalIds what this client's transactional ids look like (Kafka's error does not name them), e.g. {@code
     *                         "prefixed promptline-processor-"}
     */
    public static Optional<String> describe(Throwable e, String transactionalIds) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String what = null;
            if (c instanceof TopicAuthorizationException t) {
                what = "an ACL on TOPIC " + t.unauthorizedTopics() + " (" + c.getMessage() + ")";
            } else if (c instanceof GroupAuthorizationException g) {
                what = "READ on GROUP " + (g.groupId() != null ? g.groupId() : "") + " (" + c.getMessage() + ")";
            } else if (c instanceof TransactionalIdAuthorizationException) {
                what = "WRITE on TRANSACTIONAL_ID " + transactionalIds + " (" + c.getMessage() + ")";
            } else if (c instanceof ClusterAuthorizationException) {
                what = "an ACL on CLUSTER (" + c.getMessage() + ")";
            } else if (c instanceof AuthorizationException) {
                what = "an ACL (" + c.getMessage() + ")";
            } else if (c instanceof AuthenticationException) {
                return Optional.of("Kafka refused the client's credentials: " + c.getMessage()
                        + "; check PROMPTLINE_KAFKA_SECURITY_PROTOCOL, PROMPTLINE_KAFKA_SASL_MECHANISM and PROMPTLINE_KAFKA_SASL_JAAS_CONFIG[_FILE]");
            }
            if (what != null) {
                return Optional.of("Kafka refused this principal: missing " + what + "; grant the ACLs OPERATIONS.md lists for this "
                        + "component (`promptline acls` prints them)");
            }
        }
        return Optional.empty();
    }

    /**
     * A deployable's main could not build or start its parts: says why on stderr (a refusal named as
     * above) and exits with status 1 — threads already started (Vert.x, Kafka clients, pools) would
     * otherwise keep a JVM whose main failed alive, doing nothing.
     */
    public static void exitOnStartFailure(String deployable, RuntimeException e, String transactionalIds) {
        System.err.println("promptline " + deployable + ": cannot start: " + describe(e, transactionalIds).orElse(e.toString()));
        e.printStackTrace();
        System.exit(1);
    }
}
