package io.promptline.ops.registry;

/** One registered version of a subject, as the REST API reports it. */
public record SchemaVersion(String subject, int version, int id, String schema) {}
