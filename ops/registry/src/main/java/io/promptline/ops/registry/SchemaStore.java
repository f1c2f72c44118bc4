package io.promptline.ops.registry;

import io.promptline.ops.registry.CompatibilityChecker.Previous;
import io.promptline.ops.registry.LogEvent.ConfigChanged;
import io.promptline.ops.registry.LogEvent.SchemaRegistered;
import io.promptline.ops.registry.LogEvent.SubjectDeleted;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The registry's state: schemas by global id, subjects with their versions, and compatibility
 * configuration. Every change is first appended to the {@link RegistryLog} (when there is one)
 * and only then applied in memory, so an acknowledged change survives a restart and a failed
 * write changes nothing. All methods are synchronized: the store may be called from any thread.
 */
public final class SchemaStore implements AutoCloseable {
    /** Version reference meaning "the latest version", as Confluent's {@code -1}. */
    public static final int LATEST = -1;

    private final CompatibilityChecker checker = new CompatibilityChecker();
    private final Map<Integer, ParsedSchema> schemasById = new HashMap<>();
    private final Map<String, Integer> idsByCanonical = new HashMap<>();
    private final Map<String, Subject> subjects = new TreeMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel;
    private int maxId;
    private RegistryLog log;

    private SchemaStore(CompatibilityLevel defaultLevel) {
        this.globalLevel = Objects.requireNonNull(defaultLevel, "defaultLevel");
    }

    /** A store that keeps its state in memory only. */
    public static SchemaStore inMemory(CompatibilityLevel defaultLevel) {
        return new SchemaStore(defaultLevel);
    }

    /**
     * Opens a store; with a data directory the state is replayed from, and persisted to, its log.
     * A global level recorded in the log overrides {@code defaultLevel}.
     *
     * @throws RegistryStoreException when the log is corrupt, unreadable or in use
     */
    public static SchemaStore open(Path dataDir, CompatibilityLevel defaultLevel) {
        SchemaStore store = new SchemaStore(defaultLevel);
        if (dataDir != null) {
            store.log = RegistryLog.open(dataDir, store::apply);
        }
        return store;
    }

    /** Registers a schema under a subject and answers its global id (existing or new). */
    public synchronized int register(String subject, ParsedSchema schema) {
        Subject state = subjects.get(subject);
        if (state != null) {
            for (Version v : state.active()) {
                if (schemasById.get(v.id()).canonical().equals(schema.canonical())) {
                    return v.id();
                }
            }
            List<String> problems = checker.check(schema, previous(state), level(subject));
            if (!problems.isEmpty()) {
                throw RegistryException.incompatible(subject, problems);
            }
        }
        int id = idsByCanonical.getOrDefault(schema.canonical(), maxId + 1);
        int version = state == null ? 1 : state.lastVersion + 1;
        persistAndApply(new SchemaRegistered(subject, version, id, schema.canonical()));
        return id;
    }

    /** The version of {@code subject} that holds {@code schema}: 40401 / 40403 otherwise. */
    public synchronized SchemaVersion lookup(String subject, ParsedSchema schema) {
        Subject state = existing(subject);
        for (Version v : state.active()) {
            if (schemasById.get(v.id()).canonical().equals(schema.canonical())) {
                return view(subject, v);
            }
        }
        throw RegistryException.schemaNotFound();
    }

    /** The schema text of a global id: 40403 when unknown. */
    public synchronized String schemaById(int id) {
        ParsedSchema schema = schemasById.get(id);
        if (schema == null) {
            throw RegistryException.schemaNotFound(id);
        }
        return schema.canonical();
    }

    /** The live versions (in subject order) that use a global id: 40403 when the id is unknown. */
    public synchronized List<SchemaVersion> versionsById(int id) {
        schemaById(id);
        List<SchemaVersion> out = new ArrayList<>();
        subjects.forEach((name, state) -> state.active().stream()
                .filter(v -> v.id() == id).forEach(v -> out.add(view(name, v))));
        return out;
    }

    /** Subjects with at least one live version, sorted. */
    public synchronized List<String> subjects() {
        List<String> out = new ArrayList<>();
        subjects.forEach((name, state) -> {
            if (!state.active().isEmpty()) {
                out.add(name);
            }
        });
        return out;
    }

    /** Live version numbers of a subject: 40401 when it has none. */
    public synchronized List<Integer> versions(String subject) {
        return existing(subject).active().stream().map(Version::version).toList();
    }

    /** One version ({@link #LATEST} for the latest): 40401 / 40402 when missing. */
    public synchronized SchemaVersion version(String subject, int version) {
        return view(subject, find(existing(subject), version));
    }

    /**
     * Tests a schema against a subject under its compatibility level: against one version, or for
     * {@link #LATEST} against what registration would check (all versions when transitive).
     *
     * @return the incompatibility messages, empty when compatible
     */
    public synchronized List<String> testCompatibility(String subject, int version,
            ParsedSchema schema) {
        Subject state = existing(subject);
        List<Previous> against;
        if (version == LATEST) {
            against = previous(state);
        } else {
            Version v = find(state, version);
            against = List.of(new Previous(v.version(), schemasById.get(v.id())));
        }
        return checker.check(schema, against, level(subject));
    }

    /** Tests a schema against all live versions as registration would; true for a new subject. */
    public synchronized List<String> testCompatibility(String subject, ParsedSchema schema) {
        Subject state = subjects.get(subject);
        return state == null ? List.of() : checker.check(schema, previous(state), level(subject));
    }

    public synchronized CompatibilityLevel globalLevel() {
        return globalLevel;
    }

    public synchronized void setGlobalLevel(CompatibilityLevel level) {
        persistAndApply(new ConfigChanged(null, Objects.requireNonNull(level, "level")));
    }

    /** The subject-level compatibility, empty when the subject has none configured. */
    public synchronized Optional<CompatibilityLevel> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    public synchronized void setSubjectLevel(String subject, CompatibilityLevel level) {
        persistAndApply(new ConfigChanged(subject, Objects.requireNonNull(level, "level")));
    }

    /** Removes a subject-level compatibility and answers the removed level. */
    public synchronized CompatibilityLevel deleteSubjectLevel(String subject) {
        CompatibilityLevel previous = subjectLevels.get(subject);
        if (previous == null) {
            Subject state = subjects.get(subject);
            if (state == null || state.active().isEmpty()) {
                throw RegistryException.subjectNotFound(subject);
            }
            throw RegistryException.subjectLevelCompatibilityNotConfigured(subject);
        }
        persistAndApply(new ConfigChanged(subject, null));
        return previous;
    }

    /**
     * Deletes a subject and answers the version numbers deleted. A soft delete hides the versions
     * (numbering continues if the subject is registered again; ids stay resolvable); a permanent
     * delete, allowed only after a soft delete, forgets the subject and its configuration.
     */
    public synchronized List<Integer> deleteSubject(String subject, boolean permanent) {
        Subject state = subjects.get(subject);
        if (state == null) {
            throw RegistryException.subjectNotFound(subject);
        }
        List<Integer> deleted;
        if (permanent) {
            if (!state.active().isEmpty()) {
                throw RegistryException.subjectNotSoftDeleted(subject);
            }
            deleted = state.versions.stream().map(Version::version).toList();
        } else {
            if (state.active().isEmpty()) {
                throw RegistryException.subjectSoftDeleted(subject);
            }
            deleted = state.active().stream().map(Version::version).toList();
        }
        persistAndApply(new SubjectDeleted(subject, permanent));
        return deleted;
    }

    @Override
    public synchronized void close() {
        if (log != null) {
            log.close();
            log = null;
        }
    }

    private void persistAndApply(LogEvent event) {
        if (log != null) {
            try {
                log.append(event);
            } catch (IOException e) {
                throw RegistryException.storeError(e);
            }
        }
        apply(event);
    }

    /** Applies one event; throws {@link IllegalArgumentException} if it contradicts the state. */
    private void apply(LogEvent event) {
        if (event instanceof SchemaRegistered e) {
            applySchema(e);
        } else if (event instanceof ConfigChanged e) {
            if (e.subject() == null) {
                globalLevel = e.level();
            } else if (e.level() == null) {
                subjectLevels.remove(e.subject());
            } else {
                subjectLevels.put(e.subject(), e.level());
            }
        } else if (event instanceof SubjectDeleted e) {
            Subject state = subjects.get(e.subject());
            if (state == null) {
                throw new IllegalArgumentException("deletion of unknown subject '" + e.subject() + "'");
            }
            if (e.permanent()) {
                subjects.remove(e.subject());
                subjectLevels.remove(e.subject());
            } else {
                state.versions.replaceAll(v -> new Version(v.version(), v.id(), true));
            }
        }
    }

    private void applySchema(SchemaRegistered e) {
        ParsedSchema known = schemasById.get(e.id());
        if (known != null && !known.canonical().equals(e.schema())) {
            throw new IllegalArgumentException("id " + e.id() + " is already used by another schema");
        }
        ParsedSchema schema = known != null ? known : ParsedSchema.parse(e.schema());
        Integer otherId = idsByCanonical.get(schema.canonical());
        if (otherId != null && otherId != e.id()) {
            throw new IllegalArgumentException(
                    "schema already has id " + otherId + ", not " + e.id());
        }
        Subject state = subjects.computeIfAbsent(e.subject(), s -> new Subject());
        if (e.version() <= state.lastVersion) {
            throw new IllegalArgumentException("version " + e.version() + " of subject '" + e.subject()
                    + "' is not after version " + state.lastVersion);
        }
        schemasById.put(e.id(), schema);
        idsByCanonical.put(schema.canonical(), e.id());
        state.versions.add(new Version(e.version(), e.id(), false));
        state.lastVersion = e.version();
        maxId = Math.max(maxId, e.id());
    }

    private CompatibilityLevel level(String subject) {
        return subjectLevels.getOrDefault(subject, globalLevel);
    }

    private List<Previous> previous(Subject state) {
        return state.active().stream()
                .map(v -> new Previous(v.version(), schemasById.get(v.id()))).toList();
    }

    private Subject existing(String subject) {
        Subject state = subjects.get(subject);
        if (state == null || state.active().isEmpty()) {
            throw RegistryException.subjectNotFound(subject);
        }
        return state;
    }

    private static Version find(Subject state, int version) {
        List<Version> active = state.active();
        if (version == LATEST) {
            return active.get(active.size() - 1);
        }
        return active.stream().filter(v -> v.version() == version).findFirst()
                .orElseThrow(() -> RegistryException.versionNotFound(version));
    }

    private SchemaVersion view(String subject, Version v) {
        return new SchemaVersion(subject, v.version(), v.id(), schemasById.get(v.id()).canonical());
    }

    private record Version(int version, int id, boolean deleted) {}

    private static final class Subject {
        final List<Version> versions = new ArrayList<>();
        int lastVersion;

        List<Version> active() {
            return versions.stream().filter(v -> !v.deleted()).toList();
        }
    }
}
