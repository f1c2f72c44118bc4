/**
 * The processor application: {@code ProcessorMain} loads the configuration, {@code ProcessorApp}
 * runs one Kafka Streams instance per tier plus the retry relay around one shared
 * {@code CallGateway}, and {@code PromptlineTopology} builds a tier's topology in one pure method
 * that tests drive as production runs it. It wires the packages below and nothing imports it.
 */
package io.promptline.processor;
