import Foundation
import SQLKit
import YingjiCore

/// Incidents and timelines in SQL, on SQLite or PostgreSQL through one code path.
///
/// One connection, used by one actor: every write is a transaction that checks the incident's
/// version, replaces the incident row and appends the new timeline rows, or changes nothing.
public actor SQLIncidentRepository: IncidentRepository {
    nonisolated let database: any SQLDatabase
    nonisolated let engine: SQLEngine
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()

    init(database: any SQLDatabase, engine: SQLEngine) {
        self.database = database
        self.engine = engine
    }

    public func insert(_ incident: Incident, timeline: [TimelineEntry]) async throws {
        try await transaction {
            let data = try self.json(incident)
            try await self.database.raw("""
                INSERT INTO incidents (id, jurisdiction, status, grade, version, next_deadline, created_at, data)
                VALUES (\(bind: incident.id), \(bind: incident.jurisdiction), \(bind: incident.status.rawValue), \(bind: incident.grade?.grade),
                        \(bind: incident.version), \(bind: incident.nextDeadline?.timeIntervalSinceReferenceDate),
                        \(bind: incident.createdAt.timeIntervalSinceReferenceDate), \(bind: data))
                """).run()
            try await self.append(timeline)
        }
    }

    public func update(_ incident: Incident, expectedVersion: Int, timeline: [TimelineEntry]) async throws {
        try await transaction {
            let rows = try await self.database.raw("SELECT version FROM incidents WHERE id = \(bind: incident.id)").all()
            guard let row = rows.first else {
                throw IncidentError(.notFound, "incident.not_found", "没有事故 \(incident.id)")
            }
            let stored = try row.decode(column: "version", as: Int.self)
            guard stored == expectedVersion else {
                throw IncidentError(.conflict, "incident.version_conflict", "事故已被他人修改（你的版本 \(expectedVersion)，当前版本 \(stored)），请刷新后重试", field: "version")
            }
            try await self.database.raw("""
                UPDATE incidents SET status = \(bind: incident.status.rawValue), grade = \(bind: incident.grade?.grade),
                    version = \(bind: incident.version), next_deadline = \(bind: incident.nextDeadline?.timeIntervalSinceReferenceDate),
                    data = \(bind: try self.json(incident))
                WHERE id = \(bind: incident.id) AND version = \(bind: expectedVersion)
                """).run()
            try await self.append(timeline)
        }
    }

    public func incident(id: String) async throws -> Incident? {
        try await database.raw("SELECT data FROM incidents WHERE id = \(bind: id)").all().first.map(decodeIncident)
    }

    public func incidents(_ query: IncidentQuery) async throws -> [Incident] {
        var sql = SQLQueryString("SELECT data FROM incidents WHERE 1 = 1")
        if let status = query.status { sql.appendInterpolation(unsafeRaw: " AND status = "); sql.appendInterpolation(bind: status.rawValue) }
        if let grade = query.grade { sql.appendInterpolation(unsafeRaw: " AND grade = "); sql.appendInterpolation(bind: grade) }
        if query.openOnly { sql.appendInterpolation(unsafeRaw: " AND status NOT IN ('archived', 'evaluated')") }
        if let jurisdictions = query.jurisdictions {
            guard !jurisdictions.isEmpty else { return [] }
            sql.appendInterpolation(unsafeRaw: " AND jurisdiction IN (")
            for (index, jurisdiction) in jurisdictions.enumerated() {
                if index > 0 { sql.appendInterpolation(unsafeRaw: ", ") }
                sql.appendInterpolation(bind: jurisdiction)
            }
            sql.appendInterpolation(unsafeRaw: ")")
        }
        sql.appendInterpolation(unsafeRaw: " ORDER BY created_at DESC, id DESC LIMIT \(max(0, min(query.limit, 1_000_000))) OFFSET \(max(0, query.offset))")
        return try await database.raw(sql).all().map(decodeIncident)
    }

    public func timeline(incidentID: String) async throws -> [TimelineEntry] {
        try await database.raw("""
            SELECT incident_id, sequence, at, actor, kind, payload, corrects, previous_hash, hash
            FROM timeline WHERE incident_id = \(bind: incidentID) ORDER BY sequence
            """).all().map { row in
            TimelineEntry(
                incidentID: try row.decode(column: "incident_id", as: String.self),
                sequence: try row.decode(column: "sequence", as: Int.self),
                at: Date(timeIntervalSinceReferenceDate: try row.decode(column: "at", as: Double.self)),
                actor: try row.decode(column: "actor", as: String.self),
                kind: try row.decode(column: "kind", as: String.self),
                payload: try decoder.decode(JSONValue.self, from: Data(try row.decode(column: "payload", as: String.self).utf8)),
                corrects: try row.decode(column: "corrects", as: Int?.self),
                previousHash: try row.decode(column: "previous_hash", as: String.self),
                hash: try row.decode(column: "hash", as: String.self)
            )
        }
    }

    /// Ids of every incident that has a timeline, for `audit verify`.
    public func incidentIDs() async throws -> [String] {
        try await database.raw("SELECT DISTINCT incident_id FROM timeline ORDER BY incident_id").all().map { try $0.decode(column: "incident_id", as: String.self) }
    }

    private func append(_ entries: [TimelineEntry]) async throws {
        for entry in entries {
            try await database.raw("""
                INSERT INTO timeline (incident_id, sequence, at, actor, kind, payload, corrects, previous_hash, hash)
                VALUES (\(bind: entry.incidentID), \(bind: entry.sequence), \(bind: entry.at.timeIntervalSinceReferenceDate),
                        \(bind: entry.actor), \(bind: entry.kind), \(bind: String(decoding: entry.payload.canonicalData, as: UTF8.self)),
                        \(bind: entry.corrects), \(bind: entry.previousHash), \(bind: entry.hash))
                """).run()
        }
    }

    private func transaction(_ body: () async throws -> Void) async throws {
        try await database.raw(engine == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
        do {
            try await body()
            try await database.raw("COMMIT").run()
        } catch {
            try? await database.raw("ROLLBACK").run()
            throw error
        }
    }

    private func json(_ incident: Incident) throws -> String {
        String(decoding: try encoder.encode(incident), as: UTF8.self)
    }

    private func decodeIncident(_ row: any SQLRow) throws -> Incident {
        try decoder.decode(Incident.self, from: Data(try row.decode(column: "data", as: String.self).utf8))
    }
}
