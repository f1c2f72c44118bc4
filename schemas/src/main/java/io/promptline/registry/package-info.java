/**
 * A Confluent Schema Registry client over the REST protocol (register, look up by id, compatibility),
 * and its errors. Works against a real Confluent registry and the project's own.
 */
package io.promptline.registry;
