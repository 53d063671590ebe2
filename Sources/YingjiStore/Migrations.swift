import SQLKit

/// Which SQL engine a store talks to; the few statements that differ (triggers, locking) ask it.
public enum SQLEngine: String, Sendable {
    case sqlite
    case postgres
}

/// A numbered schema change, applied once, in order, at start-up.
struct Migration: Sendable {
    let version: Int
    let name: String
    let statements: @Sendable (SQLEngine) -> [String]
    /// Work on the data that SQL alone cannot do, run after the statements in the same transaction.
    var then: (@Sendable (any SQLDatabase) async throws -> Void)? = nil
}

enum Migrations {
    static let all: [Migration] = [
        Migration(version: 1, name: "Migration001CreateIncidents") { _ in
            [
                """
                CREATE TABLE incidents (
                    id TEXT PRIMARY KEY,
                    jurisdiction TEXT NOT NULL,
                    status TEXT NOT NULL,
                    grade INTEGER,
                    version INTEGER NOT NULL,
                    next_deadline DOUBLE PRECISION,
                    created_at DOUBLE PRECISION NOT NULL,
                    data TEXT NOT NULL
                )
                """,
                "CREATE INDEX incidents_jurisdiction_status ON incidents (jurisdiction, status)",
            ]
        },
        Migration(version: 2, name: "Migration002CreateTimeline") { engine in
            let table = """
                CREATE TABLE timeline (
                    incident_id TEXT NOT NULL,
                    sequence INTEGER NOT NULL,
                    at DOUBLE PRECISION NOT NULL,
                    actor TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    corrects INTEGER,
                    previous_hash TEXT NOT NULL,
                    hash TEXT NOT NULL,
                    PRIMARY KEY (incident_id, sequence)
                )
                """
            switch engine {
            case .sqlite:
                return [
                    table,
                    "CREATE TRIGGER timeline_no_update BEFORE UPDATE ON timeline BEGIN SELECT RAISE(ABORT, 'timeline is append-only'); END",
                    "CREATE TRIGGER timeline_no_delete BEFORE DELETE ON timeline BEGIN SELECT RAISE(ABORT, 'timeline is append-only'); END",
                ]
            case .postgres:
                return [
                    table,
                    """
                    CREATE FUNCTION timeline_append_only() RETURNS trigger AS $$
                    BEGIN RAISE EXCEPTION 'timeline is append-only'; END;
                    $$ LANGUAGE plpgsql
                    """,
                    "CREATE TRIGGER timeline_no_update BEFORE UPDATE OR DELETE ON timeline FOR EACH ROW EXECUTE FUNCTION timeline_append_only()",
                ]
            }
        },
        Migration(version: 3, name: "Migration003IdempotencyJurisdictionsDeadlines") { _ in
            [
                // When the overdue sweep must look at an incident next, and how many obligations are overdue.
                "ALTER TABLE incidents ADD COLUMN pending_due DOUBLE PRECISION",
                "ALTER TABLE incidents ADD COLUMN overdue_count INTEGER NOT NULL DEFAULT 0",
                "CREATE INDEX incidents_pending_due ON incidents (pending_due)",
                """
                CREATE TABLE idempotency_keys (
                    key TEXT PRIMARY KEY,
                    request_hash TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    body TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE jurisdictions (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    parent_id TEXT REFERENCES jurisdictions (id),
                    plan_id TEXT NOT NULL
                )
                """,
            ]
        },
        Migration(version: 4, name: "Migration004Accounts") { _ in
            [
                // Who an incident was reported for, and which organisations have a part in it
                // (`,org_a,org_b,` so one LIKE finds an organisation), for listing what an account may see.
                "ALTER TABLE incidents ADD COLUMN organisation_id TEXT",
                "ALTER TABLE incidents ADD COLUMN involved TEXT NOT NULL DEFAULT ','",
                """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY,
                    login TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    disabled INTEGER NOT NULL DEFAULT 0,
                    created_at DOUBLE PRECISION NOT NULL,
                    password_changed_at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE organisations (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    jurisdiction_id TEXT NOT NULL REFERENCES jurisdictions (id)
                )
                """,
                """
                CREATE TABLE role_grants (
                    user_id TEXT NOT NULL REFERENCES users (id),
                    role TEXT NOT NULL,
                    jurisdiction_id TEXT NOT NULL REFERENCES jurisdictions (id),
                    organisation_id TEXT NOT NULL DEFAULT '',
                    PRIMARY KEY (user_id, role, jurisdiction_id, organisation_id)
                )
                """,
                """
                CREATE TABLE sessions (
                    id_hash TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users (id),
                    csrf_token TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL,
                    last_seen_at DOUBLE PRECISION NOT NULL,
                    expires_at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE INDEX sessions_user ON sessions (user_id)",
                """
                CREATE TABLE api_tokens (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users (id),
                    name TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL,
                    jurisdiction_id TEXT NOT NULL,
                    organisation_id TEXT,
                    created_at DOUBLE PRECISION NOT NULL,
                    expires_at DOUBLE PRECISION NOT NULL,
                    revoked_at DOUBLE PRECISION,
                    last_used_at DOUBLE PRECISION
                )
                """,
                """
                CREATE TABLE login_failures (
                    login TEXT NOT NULL,
                    address TEXT NOT NULL,
                    at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE INDEX login_failures_login ON login_failures (login, at)",
                "CREATE INDEX login_failures_address ON login_failures (address, at)",
                """
                CREATE TABLE auth_events (
                    at DOUBLE PRECISION NOT NULL,
                    kind TEXT NOT NULL,
                    login TEXT,
                    address TEXT,
                    detail TEXT NOT NULL
                )
                """,
                "CREATE INDEX auth_events_at ON auth_events (at)",
            ]
        },
        // A grant may name every jurisdiction (`*`, system administrators), which is no row of
        // `jurisdictions`; the account service checks the jurisdiction instead of a foreign key.
        Migration(version: 5, name: "Migration005GrantsWithoutJurisdictionKey") { _ in
            [
                """
                CREATE TABLE role_grants_005 (
                    user_id TEXT NOT NULL REFERENCES users (id),
                    role TEXT NOT NULL,
                    jurisdiction_id TEXT NOT NULL,
                    organisation_id TEXT NOT NULL DEFAULT '',
                    PRIMARY KEY (user_id, role, jurisdiction_id, organisation_id)
                )
                """,
                "INSERT INTO role_grants_005 (user_id, role, jurisdiction_id, organisation_id) SELECT user_id, role, jurisdiction_id, organisation_id FROM role_grants",
                "DROP TABLE role_grants",
                "ALTER TABLE role_grants_005 RENAME TO role_grants",
            ]
        },
        // 预警: one row per warning (its versions, actions and approvals in `data`); its chain is
        // in `timeline` under the warning's id, beside the incidents' chains.
        Migration(version: 6, name: "Migration006Warnings") { _ in
            [
                """
                CREATE TABLE warnings (
                    id TEXT PRIMARY KEY,
                    jurisdiction TEXT NOT NULL,
                    status TEXT NOT NULL,
                    is_current INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    incident_id TEXT,
                    organisation_id TEXT,
                    notified TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL,
                    data TEXT NOT NULL
                )
                """,
                "CREATE INDEX warnings_jurisdiction_status ON warnings (jurisdiction, status)",
                "CREATE INDEX warnings_incident ON warnings (incident_id)",
            ]
        },
        Migration(version: 7, name: "Migration007SweepDueOnlyWhileOpen", statements: { _ in
            [
                // The sweep looks only at open incidents: a closed one with an obligation left
                // pending (a 补报 window still running when it was archived) kept its time here and
                // was read again by every sweep, once a second, for good.
                "UPDATE incidents SET pending_due = NULL WHERE status IN ('archived', 'evaluated')",
            ]
        }, then: { database in
            // And an open one's time is computed again: on-site tasks' due times now count, and an
            // incident stored before would otherwise not be swept for them until its next write.
            for row in try await database.raw("SELECT data FROM incidents WHERE status NOT IN ('archived', 'evaluated')").all() {
                let incident = try SQLIncidentRepository.decodeIncident(row)
                try await database.raw("""
                    UPDATE incidents SET pending_due = \(bind: incident.earliestPendingDue?.timeIntervalSinceReferenceDate) WHERE id = \(bind: incident.id)
                    """).run()
            }
        }),
        // The board's charts count incidents by when they became known, by grade and category:
        // read from these columns (indexed by time), not by decoding every incident's document.
        // Filled from the documents in one statement (dates are stored there as numbers).
        Migration(version: 8, name: "Migration008KnownAtAndCategory", statements: { engine in
            [
                "ALTER TABLE incidents ADD COLUMN known_at DOUBLE PRECISION",
                "ALTER TABLE incidents ADD COLUMN category TEXT",
                backfillKnownAtAndCategory(engine),
                "CREATE INDEX incidents_known_at ON incidents (known_at)",
            ]
        }),
        // Lists and the board show a few values of each incident: with the response level and
        // the last change in columns too, they are read without decoding any document.
        Migration(version: 9, name: "Migration009ResponseLevelAndUpdatedAt", statements: { engine in
            [
                "ALTER TABLE incidents ADD COLUMN response_level INTEGER",
                "ALTER TABLE incidents ADD COLUMN updated_at DOUBLE PRECISION",
                backfillResponseLevelAndUpdatedAt(engine),
            ]
        }),
        // The document last in the row, and lists in order from an index. SQLite reads a column
        // by walking the row from its start: every column added after `data` (the sweep's, the
        // board's, the charts') was reached through the document's 3–4 KB and its overflow page,
        // for each incident a list or chart looked at. And a jurisdiction's newest incidents come
        // from (jurisdiction, created_at, id) in order, the first page without reading the rest.
        Migration(version: 10, name: "Migration010DocumentLastListsByTime") { engine in
            let columns = "id, jurisdiction, status, grade, version, next_deadline, created_at, pending_due, overdue_count, organisation_id, involved, known_at, category, response_level, updated_at, data"
            return [
                """
                CREATE TABLE incidents_010 (
                    id TEXT PRIMARY KEY,
                    jurisdiction TEXT NOT NULL,
                    status TEXT NOT NULL,
                    grade INTEGER,
                    version INTEGER NOT NULL,
                    next_deadline DOUBLE PRECISION,
                    created_at DOUBLE PRECISION NOT NULL,
                    pending_due DOUBLE PRECISION,
                    overdue_count INTEGER NOT NULL DEFAULT 0,
                    organisation_id TEXT,
                    involved TEXT NOT NULL DEFAULT ',',
                    known_at DOUBLE PRECISION,
                    category TEXT,
                    response_level INTEGER,
                    updated_at DOUBLE PRECISION,
                    data TEXT NOT NULL
                )
                """,
                "INSERT INTO incidents_010 (\(columns)) SELECT \(columns) FROM incidents",
                "DROP TABLE incidents",
                "ALTER TABLE incidents_010 RENAME TO incidents",
                "CREATE INDEX incidents_jurisdiction_created ON incidents (jurisdiction, created_at, id)",
                "CREATE INDEX incidents_pending_due ON incidents (pending_due)",
                "CREATE INDEX incidents_known_at ON incidents (known_at)",
            ] + (engine == .postgres ? ["ALTER TABLE incidents RENAME CONSTRAINT incidents_010_pkey TO incidents_pkey"] : [])
        },
        // Every column kept beside the document written again from the document. Lists read
        // them instead of the documents since migration 9, but some were never filled for rows
        // stored before they existed: `overdue_count` (migration 3) stayed 0 on an incident with
        // obligations already overdue, until its next write. One pass, a page of rows at a time.
        Migration(version: 11, name: "Migration011ColumnsFromDocuments", statements: { _ in [] }, then: { database in
            try await SQLIncidentRepository.recomputeColumns(on: database)
        }),
    ]

    /// Fills `response_level` and `updated_at` from each incident's stored document (migration 9).
    static func backfillResponseLevelAndUpdatedAt(_ engine: SQLEngine) -> String {
        switch engine {
        case .sqlite:
            return "UPDATE incidents SET response_level = json_extract(data, '$.response.level'), updated_at = json_extract(data, '$.updatedAt')"
        case .postgres:
            return "UPDATE incidents SET response_level = (data::jsonb -> 'response' ->> 'level')::integer, updated_at = (data::jsonb ->> 'updatedAt')::double precision"
        }
    }

    /// Fills `known_at` and `category` from each incident's stored document (migration 8).
    static func backfillKnownAtAndCategory(_ engine: SQLEngine) -> String {
        switch engine {
        case .sqlite:
            return "UPDATE incidents SET known_at = json_extract(data, '$.knownAt'), category = json_extract(data, '$.category')"
        case .postgres:
            return "UPDATE incidents SET known_at = (data::jsonb ->> 'knownAt')::double precision, category = data::jsonb ->> 'category'"
        }
    }

    /// The schema version this build writes: the last migration's.
    static var current: Int { all.last?.version ?? 0 }

    /// Applies the migrations not yet recorded, all in one transaction. Safe when several
    /// processes start on one database at once: the transaction takes the database-wide write
    /// lock first (SQLite `BEGIN IMMEDIATE`, a PostgreSQL advisory lock), then reads which are
    /// applied, so a second process finds them done. One commit sets up a new database, and a
    /// migration that fails leaves the database as it was. A database already past this build's
    /// last migration is refused (`StoreError.schemaVersion`), before anything is changed.
    static func run(on database: any SQLDatabase, engine: SQLEngine) async throws {
        try await locked(database, engine) {
            try await database.raw("CREATE TABLE IF NOT EXISTS yingji_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)").run()
            let applied = Set(try await database.raw("SELECT version FROM yingji_migrations").all().map { try $0.decode(column: "version", as: Int.self) })
            // A database a newer build has migrated is refused: this build would write rows
            // without the columns it added (lists and boards read them), or not as it expects.
            if let newest = applied.max(), newest > current { throw StoreError.schemaVersion(found: newest, expected: current) }
            for migration in all where !applied.contains(migration.version) {
                for statement in migration.statements(engine) {
                    try await database.raw(SQLQueryString(statement)).run()
                }
                try await migration.then?(database)
                try await database.raw("INSERT INTO yingji_migrations (version, name) VALUES (\(bind: migration.version), \(bind: migration.name))").run()
            }
        }
    }

    /// Runs `work` in a transaction that holds the migration lock.
    private static func locked(_ database: any SQLDatabase, _ engine: SQLEngine, _ work: () async throws -> Void) async throws {
        switch engine {
        case .sqlite: try await database.raw("BEGIN IMMEDIATE").run()
        case .postgres:
            try await database.raw("BEGIN").run()
            _ = try await database.raw("SELECT pg_advisory_xact_lock(\(unsafeRaw: String(migrationLockKey))) AS locked").all()
        }
        do {
            try await work()
            try await database.raw("COMMIT").run()
        } catch {
            try? await database.raw("ROLLBACK").run()
            throw error
        }
    }

    /// Any fixed number: the advisory lock every Yingji process takes to migrate.
    private static let migrationLockKey = 7_394_105_001
}
