import Foundation
import SQLKit
import YingjiCore

/// Warnings in SQL, written through the same group-commit writer as incidents; their chains are
/// rows of the shared `timeline` table under the warning's id.
public final class SQLWarningRepository: WarningRepository, Sendable {
    let writer: GroupCommitWriter
    let reads: ReadConnections

    init(writer: GroupCommitWriter, reads: ReadConnections) {
        self.writer = writer
        self.reads = reads
    }

    public func insert(_ warning: Warning, timeline: [TimelineEntry], idempotency: IdempotencyRecord?) async throws {
        var steps = SQLIncidentRepository.claim(idempotency)
        steps.append(WriteStep("""
            INSERT INTO warnings (id, jurisdiction, status, is_current, version, incident_id, organisation_id, notified, created_at, data)
            VALUES (\(bind: warning.id), \(bind: warning.jurisdiction), \(bind: warning.status.rawValue), \(bind: warning.isCurrent ? 1 : 0),
                    \(bind: warning.version), \(bind: warning.incidentID), \(bind: warning.unit?.organisationID), \(bind: Self.notifiedColumn(warning)),
                    \(bind: warning.createdAt.timeIntervalSinceReferenceDate), \(bind: try Self.json(warning)))
            """))
        steps += SQLIncidentRepository.append(timeline)
        try await write(steps)
    }

    public func update(_ warning: Warning, expectedVersion: Int, timeline: [TimelineEntry], idempotency: IdempotencyRecord?) async throws {
        var steps = SQLIncidentRepository.claim(idempotency)
        steps.append(WriteStep("""
            UPDATE warnings SET status = \(bind: warning.status.rawValue), is_current = \(bind: warning.isCurrent ? 1 : 0),
                version = \(bind: warning.version), incident_id = \(bind: warning.incidentID), data = \(bind: try Self.json(warning))
            WHERE id = \(bind: warning.id) AND version = \(bind: expectedVersion)
            RETURNING id
            """, refusedUnlessRow: .staleVersion(incidentID: warning.id, expected: expectedVersion)))
        steps += SQLIncidentRepository.append(timeline)
        try await write(steps)
    }

    private func write(_ steps: [WriteStep]) async throws {
        try await SQLIncidentRepository.write(steps, through: writer, currentVersion: { try await self.warning(id: $0)?.version },
                                              missing: { IncidentError(.notFound, "warning.not_found", "没有预警 \($0)") })
    }

    public func warning(id: String) async throws -> Warning? {
        try await reads.database.raw("SELECT data FROM warnings WHERE id = \(bind: id)").all().first.map(Self.decode)
    }

    public func warnings(_ query: WarningQuery) async throws -> [Warning] {
        var sql = SQLQueryString("SELECT data FROM warnings WHERE 1 = 1")
        if let status = query.status { sql.appendInterpolation(unsafeRaw: " AND status = "); sql.appendInterpolation(bind: status.rawValue) }
        if query.currentOnly { sql.appendInterpolation(unsafeRaw: " AND is_current = 1") }
        if let incident = query.incidentID { sql.appendInterpolation(unsafeRaw: " AND incident_id = "); sql.appendInterpolation(bind: incident) }
        if let jurisdictions = query.jurisdictions {
            guard !jurisdictions.isEmpty else { return [] }
            sql.appendInterpolation(unsafeRaw: " AND (")
            SQLIncidentRepository.appendIn("jurisdiction", jurisdictions, to: &sql)
            for jurisdiction in jurisdictions {
                sql.appendInterpolation(unsafeRaw: " OR notified LIKE ")
                sql.appendInterpolation(bind: "%,\(SQLIncidentRepository.likeLiteral(jurisdiction)),%")
                sql.appendInterpolation(unsafeRaw: " ESCAPE '\\'")
            }
            sql.appendInterpolation(unsafeRaw: ")")
        }
        if let after = query.after {
            let time = after.createdAt.timeIntervalSinceReferenceDate
            sql.appendInterpolation(unsafeRaw: " AND (created_at < ")
            sql.appendInterpolation(bind: time)
            sql.appendInterpolation(unsafeRaw: " OR (created_at = ")
            sql.appendInterpolation(bind: time)
            sql.appendInterpolation(unsafeRaw: " AND id < ")
            sql.appendInterpolation(bind: after.id)
            sql.appendInterpolation(unsafeRaw: "))")
        }
        sql.appendInterpolation(unsafeRaw: " ORDER BY created_at DESC, id DESC LIMIT \(max(0, min(query.limit, 10_000)))")
        let listed = sql
        return try await reads.list(rows: query.limit) { try await self.reads.database.raw(listed).all().map(Self.decode) }
    }

    public func timeline(warningID: String) async throws -> [TimelineEntry] {
        try await reads.list { try await SQLIncidentRepository.timeline(warningID, on: self.reads.database) }
    }

    public func lastTimelineEntry(warningID: String) async throws -> TimelineEntry? {
        try await SQLIncidentRepository.lastTimelineEntry(warningID, on: reads.database)
    }

    /// `,a,b,`: each notified jurisdiction between commas, for a LIKE.
    static func notifiedColumn(_ warning: Warning) -> String { "," + warning.notified.map { $0 + "," }.joined() }

    private static func json(_ warning: Warning) throws -> String { String(decoding: try JSONBytesEncoder.encode(warning), as: UTF8.self) }

    private static func decode(_ row: any SQLRow) throws -> Warning {
        try JSONDecoder().decode(Warning.self, from: Data(try row.decode(column: "data", as: String.self).utf8))
    }
}
