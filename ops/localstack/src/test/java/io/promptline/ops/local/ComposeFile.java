package io.promptline.ops.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compose files read as {@code docker compose -f a.yml -f b.yml} reads them, for running their
 * services without Docker: later files merge into earlier ones (maps by key, volumes and secrets
 * by container path), {@code ${VAR:-default}} takes its default, and each service's mounted
 * files (bind volumes and secrets) map from their container paths to files in the repository.
 */
final class ComposeFile {
    private final Path projectDir;
    private final Map<String, Object> root;

    private ComposeFile(Path projectDir, Map<String, Object> root) {
        this.projectDir = projectDir;
        this.root = root;
    }

    /** The files as one project whose directory is the first file's. */
    static ComposeFile load(Path first, Path... overrides) throws IOException {
        Map<String, Object> merged = read(first);
        for (Path o : overrides) merged = merge(merged, read(o));
        return new ComposeFile(first.toAbsolutePath().getParent(), merged);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> read(Path file) throws IOException {
        try (var reader = Files.newBufferedReader(file)) {
            return (Map<String, Object>) new org.yaml.snakeyaml.Yaml().load(reader);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> over) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        over.forEach((k, v) -> {
            Object b = out.get(k);
            if (b instanceof Map<?, ?> bm && v instanceof Map<?, ?> vm) {
                out.put(k, merge((Map<String, Object>) bm, (Map<String, Object>) vm));
            } else if (b instanceof List<?> bl && v instanceof List<?> vl && (k.equals("volumes") || k.equals("secrets"))) {
                Map<String, Object> byTarget = new LinkedHashMap<>();
                for (Object e : bl) byTarget.put(target(e), e);
                for (Object e : vl) byTarget.put(target(e), e);
                out.put(k, new ArrayList<>(byTarget.values()));
            } else {
                out.put(k, v);
            }
        });
        return out;
    }

    private static String target(Object volumeOrSecret) {
        if (volumeOrSecret instanceof Map<?, ?> m) return String.valueOf(m.get("target") != null ? m.get("target") : m.get("source"));
        String[] parts = volumeOrSecret.toString().split(":");
        return parts.length > 1 ? parts[1] : parts[0];
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> service(String name) {
        Object s = ((Map<String, Object>) root.get("services")).get(name);
        if (s == null) throw new IllegalArgumentException("no service " + name);
        return (Map<String, Object>) s;
    }

    private static final Pattern DEFAULTED = Pattern.compile("\\$\\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)}");

    /** The service's environment with {@code ${VAR:-default}} resolved to its default (nothing set on this machine). */
    @SuppressWarnings("unchecked")
    Map<String, String> environment(String name) {
        Map<String, String> env = new TreeMap<>();
        Object e = service(name).get("environment");
        if (e instanceof Map<?, ?> m) {
            ((Map<String, Object>) m).forEach((k, v) -> env.put(k, v == null ? "" : DEFAULTED.matcher(v.toString())
                    .replaceAll(r -> Matcher.quoteReplacement(r.group(1)))));
        }
        return env;
    }

    /** The service's command, as its arguments. */
    @SuppressWarnings("unchecked")
    List<String> command(String name) {
        return ((List<Object>) service(name).get("command")).stream().map(String::valueOf).toList();
    }

    /** Container path → file in the project of every bind volume and secret the service mounts. */
    @SuppressWarnings("unchecked")
    Map<String, Path> mounts(String name) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (Object v : (List<Object>) service(name).getOrDefault("volumes", List.of())) {
            String[] parts = v.toString().split(":");
            if (parts[0].startsWith("./")) out.put(parts[1], projectDir.resolve(parts[0]).normalize());
        }
        Map<String, Object> secrets = (Map<String, Object>) root.getOrDefault("secrets", Map.of());
        for (Object s : (List<Object>) service(name).getOrDefault("secrets", List.of())) {
            Map<String, Object> m = (Map<String, Object>) s;
            String target = m.get("target").toString();
            Object file = ((Map<String, Object>) secrets.get(m.get("source").toString())).get("file");
            out.put(target.startsWith("/") ? target : "/run/secrets/" + target, projectDir.resolve(file.toString()).normalize());
        }
        return out;
    }

    /**
     * The server.properties the {@code apache/kafka} image renders from a service's {@code KAFKA_*}
     * variables (its {@code utility render-properties}): the prefix dropped, {@code _} → {@code .},
     * {@code __} → {@code _}, {@code ___} → {@code -}, lower case; the JVM variables excluded.
     */
    private static final Pattern SINGLE_UNDERSCORE = Pattern.compile("[^_]_[^_]");

    static Map<String, String> kafkaImageProperties(Map<String, String> env) {
        List<String> excluded = List.of("KAFKA_VERSION", "KAFKA_HEAP_OPT", "KAFKA_LOG4J_OPTS", "KAFKA_OPTS", "KAFKA_JMX_OPTS",
                "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_GC_LOG_OPTS", "KAFKA_LOG4J_ROOT_LOGLEVEL", "KAFKA_LOG4J_LOGGERS", "KAFKA_TOOLS_LOG4J_LOGLEVEL");
        Map<String, String> out = new TreeMap<>();
        env.forEach((k, v) -> {
            if (!k.startsWith("KAFKA_") || excluded.contains(k)) return;
            // as the image's Go code does: non-overlapping matches of [^_]_[^_], each single _ made a dot
            String key = SINGLE_UNDERSCORE.matcher(k.substring("KAFKA_".length())).replaceAll(r -> r.group().replace('_', '.'));
            out.put(key.replace("___", "-").replace("__", "_").toLowerCase(Locale.ROOT), v);
        });
        return out;
    }
}
