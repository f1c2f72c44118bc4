/**
 * What every deployable's configuration shares: the common keys (Kafka, registry, topics) and how a
 * configuration is read (a properties file, then PROMPTLINE_* environment overrides, secrets from files).
 */
package io.promptline.config;
