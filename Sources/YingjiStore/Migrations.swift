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
    ]

    /// Applies the migrations not yet recorded, each in its own transaction.
    static func run(on database: any SQLDatabase, engine: SQLEngine) async throws {
        try await database.raw("CREATE TABLE IF NOT EXISTS yingji_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)").run()
        let applied = Set(try await database.raw("SELECT version FROM yingji_migrations").all().map { try $0.decode(column: "version", as: Int.self) })
        for migration in all where !applied.contains(migration.version) {
            try await database.raw("BEGIN").run()
            do {
                for statement in migration.statements(engine) {
                    try await database.raw(SQLQueryString(statement)).run()
                }
                try await database.raw("INSERT INTO yingji_migrations (version, name) VALUES (\(bind: migration.version), \(bind: migration.name))").run()
                try await database.raw("COMMIT").run()
            } catch {
                try? await database.raw("ROLLBACK").run()
                throw error
            }
        }
    }
}
