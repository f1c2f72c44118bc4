/**
 * The processor's one typed configuration ({@code ProcessorConfig}: every key with its default,
 * documentation and validator) and what a tier's tasks are given from it ({@code TierSettings}).
 * It builds the stages' settings; no stage reads configuration keys itself.
 */
package io.promptline.processor.config;
