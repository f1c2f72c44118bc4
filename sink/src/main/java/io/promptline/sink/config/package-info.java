/**
 * The sink's one typed configuration: every key with its default, documentation and validator.
 */
package io.promptline.sink.config;
