import Foundation
import Logging
import PostgresKit
import SQLKit
import SQLiteKit
import YingjiCore

/// An open database: the incident repository over it and a way to close it.
///
/// `open(path:)` gives the embedded SQLite store (WAL, synchronous=FULL: a commit is on disk
/// before it returns); `open(postgresURL:)` the same repository on PostgreSQL. Migrations run on open.
public final class Store: Sendable {
    public let incidents: SQLIncidentRepository
    public let engine: SQLEngine
    private let closer: @Sendable () async throws -> Void

    init(incidents: SQLIncidentRepository, engine: SQLEngine, closer: @escaping @Sendable () async throws -> Void) {
        self.incidents = incidents
        self.engine = engine
        self.closer = closer
    }

    public static func open(path: String, logger: Logger = Logger(label: "yingji.store")) async throws -> Store {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        return try await prepare(connection.sql(), engine: .sqlite, setup: [
            "PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 5000",
        ]) { try await connection.close() }
    }

    public static func open(postgresURL: String, logger: Logger = Logger(label: "yingji.store")) async throws -> Store {
        let configuration = try SQLPostgresConfiguration(url: postgresURL)
        let connection = try await PostgresConnection.connect(configuration: configuration.coreConfiguration, id: 1, logger: logger)
        return try await prepare(connection.sql(), engine: .postgres, setup: []) { try await connection.close() }
    }

    /// Runs the engine's settings and the migrations; closes the connection if either fails.
    private static func prepare(_ database: any SQLDatabase, engine: SQLEngine, setup: [String],
                                close: @escaping @Sendable () async throws -> Void) async throws -> Store {
        do {
            for statement in setup {
                _ = try await database.raw(SQLQueryString(statement)).all()
            }
            try await Migrations.run(on: database, engine: engine)
            return Store(incidents: SQLIncidentRepository(database: database, engine: engine), engine: engine, closer: close)
        } catch {
            try? await close()
            throw error
        }
    }

    /// `DATABASE_URL` when set (PostgreSQL), else the SQLite file at `path`.
    public static func open(environment: [String: String] = ProcessInfo.processInfo.environment, sqlitePath path: String) async throws -> Store {
        if let url = environment["DATABASE_URL"], !url.isEmpty { return try await open(postgresURL: url) }
        return try await open(path: path)
    }

    public func close() async throws { try await closer() }

    /// Recomputes every timeline chain (or one incident's); returns the breaks found.
    public func verifyTimelines(incidentID: String? = nil, hasher: ChainHasher = SHA256ChainHasher()) async throws -> [ChainBreak] {
        var ids = [String]()
        if let incidentID { ids = [incidentID] } else { ids = try await incidents.incidentIDs() }
        var breaks: [ChainBreak] = []
        for id in ids {
            if let found = Timeline.verify(try await incidents.timeline(incidentID: id), hasher: hasher) { breaks.append(found) }
        }
        return breaks
    }
}
