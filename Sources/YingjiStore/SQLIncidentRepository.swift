import Foundation
import SQLKit
import YingjiCore

/// Incidents, timelines and idempotency answers in SQL, on SQLite or PostgreSQL through one code path.
///
/// Writes go through the group-commit writer: each checks the incident's version, replaces the
/// incident row, appends the new timeline rows and stores the idempotency answer, or changes
/// nothing. Reads use the read connections and see only committed data.
public final class SQLIncidentRepository: IncidentRepository, Sendable {
    let writer: GroupCommitWriter
    let reads: ReadConnections
    public let engine: SQLEngine

    init(writer: GroupCommitWriter, reads: ReadConnections, engine: SQLEngine) {
        self.writer = writer
        self.reads = reads
        self.engine = engine
    }

    /// The writer's connection, for maintenance and tests that must reach the tables directly.
    public var database: any SQLDatabase { writer.database }

    public func insert(_ incident: Incident, timeline: [TimelineEntry], idempotency: IdempotencyRecord?) async throws {
        let data = try Self.json(incident)
        var steps = Self.claim(idempotency)
        steps.append(WriteStep(Self.insertSQL.with(values: [.text(incident.id), .text(incident.jurisdiction),
                                                             .real(incident.createdAt.timeIntervalSinceReferenceDate)]
                                                   + Self.derivedValues(incident) + [.utf8(data)])))
        steps += Self.append(timeline)
        try await write(steps)
    }

    public func update(_ incident: Incident, expectedVersion: Int, timeline: [TimelineEntry], idempotency: IdempotencyRecord?) async throws {
        let data = try Self.json(incident)
        var steps = Self.claim(idempotency)
        steps.append(WriteStep(Self.updateSQL.with(values: Self.derivedValues(incident) + [.utf8(data), .text(incident.id), .integer(expectedVersion)]),
                               refusedUnlessRow: .staleVersion(incidentID: incident.id, expected: expectedVersion)))
        steps += Self.append(timeline)
        try await write(steps)
    }

    /// The columns kept beside each incident's document, each computed from the incident: what
    /// lists, the overdue sweep, the board and its charts read without decoding a document. The
    /// insert, the update and `recomputeColumns` all write this one list, so none of them can
    /// leave a column out or put a value under another's name.
    static let derivedColumns: [(name: String, value: @Sendable (Incident) -> SQLValue)] = [
        ("status", { .text($0.status.rawValue) }),
        ("grade", { .of($0.grade?.grade) }),
        ("version", { .integer($0.version) }),
        ("next_deadline", { .of($0.nextDeadline) }),
        ("pending_due", { .of($0.earliestPendingDue) }),
        ("overdue_count", { .integer($0.overdueCount) }),
        ("organisation_id", { .of($0.organisationID) }),
        ("involved", { .text(involvedColumn($0)) }),
        ("known_at", { .of($0.knownAt) }),
        ("category", { .of($0.category) }),
        ("response_level", { .of($0.response?.level) }),
        ("updated_at", { .of($0.updatedAt) }),
    ]

    static func derivedValues(_ incident: Incident) -> [SQLValue] {
        derivedColumns.map { $0.value(incident) }
    }

    /// `name = ?, …` for the derived columns (the values are filled in for each write).
    private static var derivedAssignments: WriteSQL {
        var sql: WriteSQL = ""
        for (index, column) in derivedColumns.enumerated() {
            sql.append(raw: (index == 0 ? "" : ", ") + column.name + " = ")
            sql.append("\(bind: 0)")
        }
        return sql
    }

    /// The statements' texts, made once; each write fills in its values (`WriteSQL.with(values:)`).
    private static let insertSQL: WriteSQL = {
        let names = ["id", "jurisdiction", "created_at"] + derivedColumns.map(\.name) + ["data"]
        var sql = WriteSQL(stringLiteral: "INSERT INTO incidents (\(names.joined(separator: ", "))) VALUES (")
        for index in names.indices {
            if index > 0 { sql.append(raw: ", ") }
            sql.append("\(bind: 0)")
        }
        sql.append(raw: ")")
        return sql
    }()

    private static let updateSQL: WriteSQL = {
        var sql: WriteSQL = "UPDATE incidents SET "
        sql.append(derivedAssignments)
        sql.append(raw: ", data = ")
        sql.append("\(bind: 0) WHERE id = \(bind: 0) AND version = \(bind: 0) RETURNING id")
        return sql
    }()

    /// Writes every incident's derived columns again from its document where they differ, a page
    /// at a time (on the connection given: migration 11 runs it in its transaction). Rows stored by
    /// a build that did not yet keep a column, or kept it otherwise, then read as their documents
    /// say. A row whose document cannot be read is left as it is and named in the log: reading
    /// that incident fails as it did, and the other incidents and the start-up go on. Answers how
    /// many rows it changed.
    @discardableResult
    static func recomputeColumns(on database: any SQLDatabase, page: Int = 500) async throws -> Int {
        var after = "", changed = 0
        var update: WriteSQL = "UPDATE incidents SET "
        update.append(derivedAssignments)
        // Only the document the values came from: should a server of an older build still be
        // writing (operations.md says to stop them all first), its newer row is not overwritten.
        update.append(" WHERE id = \(bind: 0) AND data = \(bind: 0)")
        let columns = (["id"] + derivedColumns.map(\.name) + ["data"]).joined(separator: ", ")
        while true {
            let rows = try await database.raw("SELECT \(unsafeRaw: columns) FROM incidents WHERE id > \(bind: after) ORDER BY id LIMIT \(bind: page)").all()
            for row in rows {
                let id = try row.decode(column: "id", as: String.self)
                after = id
                let data: String, incident: Incident
                do {
                    data = try row.decode(column: "data", as: String.self)
                    incident = try decodeIncident(json: data)
                } catch {
                    database.logger.warning("事故 \(id) 的记录无法读取，其列表字段未重算：\(error)")
                    continue
                }
                let values = derivedValues(incident)
                guard !zip(derivedColumns, values).allSatisfy({ holds(row, $0.name, $1) }) else { continue }
                try await database.raw(update.with(values: values + [.text(id), .text(data)]).query).run()
                changed += 1
            }
            if rows.count < page { return changed }
        }
    }

    /// Whether the row's `column` holds `value` already; a value of another type (an early build's,
    /// or one changed by hand) does not.
    private static func holds(_ row: any SQLRow, _ column: String, _ value: SQLValue) -> Bool {
        switch value {
        case .null: return (try? row.decodeNil(column: column)) == true
        case .text(let text): return (try? row.decode(column: column, as: String?.self)) == text
        case .utf8(let bytes): return (try? row.decode(column: column, as: String?.self)).map { Array($0.utf8) } == bytes
        case .integer(let number): return (try? row.decode(column: column, as: Int?.self)) == number
        case .real(let number): return (try? row.decode(column: column, as: Double?.self)) == number
        }
    }

    private func write(_ steps: [WriteStep]) async throws {
        try await Self.write(steps, through: writer, currentVersion: version, missing: { IncidentError(.notFound, "incident.not_found", "没有事故 \($0)") })
    }

    /// Runs the steps through the group-commit writer; a refusal becomes the domain's error (a
    /// stale version names the version now stored, read with `currentVersion`).
    static func write(_ steps: [WriteStep], through writer: GroupCommitWriter, currentVersion: (String) async throws -> Int?,
                      missing: (String) -> IncidentError) async throws {
        do {
            try await writer.write(steps)
        } catch let refusal as WriteRefusal {
            switch refusal {
            case .keyTaken(let key): throw IncidentError.keyTaken(key)
            case .jurisdictionExists(let id): throw IncidentError.jurisdictionExists(id)
            case .loginTaken, .notFound: throw refusal
            case .staleVersion(let id, let expected):
                guard let actual = try await currentVersion(id) else { throw missing(id) }
                throw IncidentError.staleVersion(expected: expected, actual: actual)
            }
        }
    }

    public func incident(id: String) async throws -> Incident? {
        try await reads.database.raw("SELECT data FROM incidents WHERE id = \(bind: id)").all().first.map(Self.decodeIncident)
    }

    /// The current version of an incident, without reading it: for answering from a cache.
    public func version(id: String) async throws -> Int? {
        try await reads.database.raw("SELECT version FROM incidents WHERE id = \(bind: id)").all().first.map { try $0.decode(column: "version", as: Int.self) }
    }

    public func incidents(_ query: IncidentQuery) async throws -> [Incident] {
        guard let listed = Self.listSQL("data", query) else { return [] }
        return try await reads.list(rows: query.limit) { try await self.reads.database.raw(listed).all().map(Self.decodeIncident) }
    }

    /// The incidents with these ids (in no particular order), read and decoded on the list threads
    /// however few: for passes over many incidents (the due-soon reminders), background work that
    /// takes milliseconds a page and must not hold up an event loop.
    public func incidents(ids: [String]) async throws -> [Incident] {
        guard let listed = Self.listSQL("data", IncidentQuery(ids: ids, limit: ids.count)) else { return [] }
        return try await reads.list { try await self.reads.database.raw(listed).all().map(Self.decodeIncident) }
    }

    /// Each matching incident's id and version, without reading its document; on the list threads
    /// when the query may be long (as `incidents`).
    public func versions(_ query: IncidentQuery) async throws -> [IncidentVersion] {
        guard let listed = Self.listSQL("id, version", query) else { return [] }
        return try await reads.list(rows: query.limit) {
            try await self.reads.database.raw(listed).all().map {
                IncidentVersion(id: try $0.decode(column: "id", as: String.self), version: try $0.decode(column: "version", as: Int.self))
            }
        }
    }

    /// What lists show of each matching incident, from the row's columns: no document is read or
    /// decoded (a board's 200 rows took about 50 ms of decoding).
    public func summaries(_ query: IncidentQuery) async throws -> [IncidentSummary] {
        guard let listed = Self.listSQL(Self.summaryColumns, query) else { return [] }
        return try await reads.list(rows: query.limit) { try await self.reads.database.raw(listed).all().map(Self.decodeSummary) }
    }

    static let summaryColumns = "id, jurisdiction, organisation_id, status, category, grade, response_level, known_at, next_deadline, overdue_count, version, updated_at"

    static func decodeSummary(_ row: any SQLRow) throws -> IncidentSummary {
        let id = try row.decode(column: "id", as: String.self)
        let status = try row.decode(column: "status", as: String.self)
        guard let known = IncidentStatus(rawValue: status) else { throw StoreError.unreadableRow("事故 \(id) 的状态「\(status)」") }
        func date(_ column: String) throws -> Date? { try row.decode(column: column, as: Double?.self).map(Date.init(timeIntervalSinceReferenceDate:)) }
        guard let knownAt = try date("known_at"), let updatedAt = try date("updated_at") else {
            throw StoreError.unreadableRow("事故 \(id) 的 known_at 或 updated_at 为空")
        }
        return IncidentSummary(id: id, jurisdiction: try row.decode(column: "jurisdiction", as: String.self),
                               organisationID: try row.decode(column: "organisation_id", as: String?.self), status: known,
                               category: try row.decode(column: "category", as: String?.self), grade: try row.decode(column: "grade", as: Int?.self),
                               level: try row.decode(column: "response_level", as: Int?.self), knownAt: knownAt, nextDeadline: try date("next_deadline"),
                               overdueCount: try row.decode(column: "overdue_count", as: Int.self), version: try row.decode(column: "version", as: Int.self),
                               updatedAt: updatedAt)
    }

    /// The listing query for `columns`, newest first; nil when the filters can match nothing.
    static func listSQL(_ columns: String, _ query: IncidentQuery) -> SQLQueryString? {
        var sql = SQLQueryString("SELECT \(unsafeRaw: columns) FROM incidents WHERE 1 = 1")
        guard appendFilters(query, to: &sql) else { return nil }
        sql.appendInterpolation(unsafeRaw: " ORDER BY created_at DESC, id DESC LIMIT \(max(0, min(query.limit, 1_000_000))) OFFSET \(max(0, query.offset))")
        return sql
    }

    /// How many incidents the query's filters let through became known on each day at or after
    /// `knownSince`, by jurisdiction, grade and category (limit and offset are not used), as the
    /// board's charts count them: counted by the database from columns, without reading the
    /// incidents' documents or a row per incident. A day is `IncidentChartCount.day(_:utcOffset:)`.
    public func chartCounts(_ query: IncidentQuery, knownSince: Date, utcOffset: Int) async throws -> [IncidentChartCount] {
        // The same arithmetic as `IncidentChartCount.day`, in the same order: seconds since 1970, then the offset.
        let shifted = "(known_at + \(Date.timeIntervalBetween1970AndReferenceDate) + \(utcOffset)) / 86400"
        let day = switch engine {
        case .sqlite: "CAST(\(shifted) AS INTEGER)"  // after 1970 the value is positive: truncation is the floor
        case .postgres: "CAST(floor(\(shifted)) AS BIGINT)"
        }
        var sql = SQLQueryString("SELECT jurisdiction, grade, category, \(unsafeRaw: day) AS day, COUNT(*) AS incidents FROM incidents WHERE known_at >= ")
        sql.appendInterpolation(bind: knownSince.timeIntervalSinceReferenceDate)
        guard Self.appendFilters(query, to: &sql) else { return [] }
        // `day` is the result column's name (no column of the table has it): both engines group by it.
        sql.appendInterpolation(unsafeRaw: " GROUP BY jurisdiction, grade, category, day")
        let counted = sql
        return try await reads.list {
            try await self.reads.database.raw(counted).all().map { row in
                IncidentChartCount(jurisdiction: try row.decode(column: "jurisdiction", as: String.self), day: try row.decode(column: "day", as: Int.self),
                                   grade: try row.decode(column: "grade", as: Int?.self), category: try row.decode(column: "category", as: String?.self),
                                   count: try row.decode(column: "incidents", as: Int.self))
            }
        }
    }

    /// The query's conditions after a `WHERE …`; false when they can match nothing (an empty list).
    static func appendFilters(_ query: IncidentQuery, to sql: inout SQLQueryString) -> Bool {
        if let ids = query.ids {
            guard !ids.isEmpty else { return false }
            sql.appendInterpolation(unsafeRaw: " AND ")
            Self.appendIn("id", ids, to: &sql)
        }
        if let status = query.status { sql.appendInterpolation(unsafeRaw: " AND status = "); sql.appendInterpolation(bind: status.rawValue) }
        if let grade = query.grade { sql.appendInterpolation(unsafeRaw: " AND grade = "); sql.appendInterpolation(bind: grade) }
        if query.openOnly { sql.appendInterpolation(unsafeRaw: " AND status NOT IN ('archived', 'evaluated')") }
        if query.overdueOnly { sql.appendInterpolation(unsafeRaw: " AND overdue_count > 0") }
        if let due = query.pendingDueBy {
            sql.appendInterpolation(unsafeRaw: " AND pending_due <= ")
            sql.appendInterpolation(bind: due.timeIntervalSinceReferenceDate)
        }
        if let clauses = query.visibility {
            guard !clauses.isEmpty else { return false }
            sql.appendInterpolation(unsafeRaw: " AND (")
            for (index, clause) in clauses.enumerated() {
                sql.appendInterpolation(unsafeRaw: index == 0 ? "(" : " OR (")
                Self.appendIn("jurisdiction", clause.jurisdictions, to: &sql)
                if let organisation = clause.organisationID {
                    sql.appendInterpolation(unsafeRaw: " AND organisation_id = ")
                    sql.appendInterpolation(bind: organisation)
                }
                if let organisation = clause.involvedOrganisationID {
                    sql.appendInterpolation(unsafeRaw: " AND involved LIKE ")
                    sql.appendInterpolation(bind: "%,\(Self.likeLiteral(organisation)),%")
                    sql.appendInterpolation(unsafeRaw: " ESCAPE '\\'")
                }
                sql.appendInterpolation(unsafeRaw: ")")
            }
            sql.appendInterpolation(unsafeRaw: ")")
        }
        if let jurisdictions = query.jurisdictions {
            guard !jurisdictions.isEmpty else { return false }
            sql.appendInterpolation(unsafeRaw: " AND ")
            Self.appendIn("jurisdiction", jurisdictions, to: &sql)
        }
        return true
    }

    public func timeline(incidentID: String) async throws -> [TimelineEntry] {
        try await reads.list { try await Self.timeline(incidentID, on: self.reads.database) }
    }

    public func lastTimelineEntry(incidentID: String) async throws -> TimelineEntry? {
        try await Self.lastTimelineEntry(incidentID, on: reads.database)
    }

    /// A chain from the shared timeline table (an incident's or a warning's), oldest first.
    static func timeline(_ id: String, on database: any SQLDatabase) async throws -> [TimelineEntry] {
        try await database.raw("""
            SELECT incident_id, sequence, at, actor, kind, payload, corrects, previous_hash, hash
            FROM timeline WHERE incident_id = \(bind: id) ORDER BY sequence
            """).all().map(decodeEntry)
    }

    static func lastTimelineEntry(_ id: String, on database: any SQLDatabase) async throws -> TimelineEntry? {
        try await database.raw("""
            SELECT incident_id, sequence, at, actor, kind, payload, corrects, previous_hash, hash
            FROM timeline WHERE incident_id = \(bind: id) ORDER BY sequence DESC LIMIT 1
            """).all().first.map(decodeEntry)
    }

    public func idempotencyRecord(key: String) async throws -> IdempotencyRecord? {
        try await reads.database.raw("SELECT key, request_hash, status, body, created_at FROM idempotency_keys WHERE key = \(bind: key)").all().first.map { row in
            IdempotencyRecord(
                key: try row.decode(column: "key", as: String.self),
                requestHash: try row.decode(column: "request_hash", as: String.self),
                status: try row.decode(column: "status", as: Int.self),
                body: Data(try row.decode(column: "body", as: String.self).utf8),
                createdAt: Date(timeIntervalSinceReferenceDate: try row.decode(column: "created_at", as: Double.self))
            )
        }
    }

    /// Ids of every incident that has a timeline, for `audit verify`.
    public func incidentIDs() async throws -> [String] {
        try await reads.database.raw("SELECT DISTINCT incident_id FROM timeline ORDER BY incident_id").all().map { try $0.decode(column: "incident_id", as: String.self) }
    }

    /// Counts for `/metrics`: open incidents and overdue obligations.
    public func openCounts() async throws -> (openIncidents: Int, overdueObligations: Int) {
        let row = try await reads.database.raw("""
            SELECT COUNT(*) AS open_incidents, COALESCE(SUM(overdue_count), 0) AS overdue
            FROM incidents WHERE status NOT IN ('archived', 'evaluated')
            """).all().first
        return (try row?.decode(column: "open_incidents", as: Int.self) ?? 0, try row?.decode(column: "overdue", as: Int.self) ?? 0)
    }

    /// `,org_a,org_b,`: each involved organisation between commas, for a LIKE.
    static func involvedColumn(_ incident: Incident) -> String {
        "," + (incident.involvedOrganisations ?? []).map { $0 + "," }.joined()
    }

    /// The text as a LIKE pattern that matches only itself (`\`, `%` and `_` escaped with `\`).
    static func likeLiteral(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    /// `column IN (…)`, or a condition that is never true for an empty list.
    static func appendIn(_ column: String, _ values: [String], to sql: inout SQLQueryString) {
        guard !values.isEmpty else { sql.appendInterpolation(unsafeRaw: "1 = 0"); return }
        sql.appendInterpolation(unsafeRaw: "\(column) IN (")
        for (index, value) in values.enumerated() {
            if index > 0 { sql.appendInterpolation(unsafeRaw: ", ") }
            sql.appendInterpolation(bind: value)
        }
        sql.appendInterpolation(unsafeRaw: ")")
    }

    /// Stores the answer for a key; refused (`keyTaken`) if another request already stored one.
    static func claim(_ record: IdempotencyRecord?) -> [WriteStep] {
        guard let record else { return [] }
        return [WriteStep("""
            INSERT INTO idempotency_keys (key, request_hash, status, body, created_at)
            VALUES (\(bind: record.key), \(bind: record.requestHash), \(bind: record.status),
                    \(bind: String(decoding: record.body, as: UTF8.self)), \(bind: record.createdAt.timeIntervalSinceReferenceDate))
            ON CONFLICT (key) DO NOTHING
            RETURNING key
            """, refusedUnlessRow: .keyTaken(record.key))]
    }

    /// The new timeline rows in one statement. Its text depends only on how many rows there
    /// are: made once for each count and filled in with the rows' values.
    static func append(_ entries: [TimelineEntry]) -> [WriteStep] {
        guard !entries.isEmpty else { return [] }
        var values: [SQLValue] = []
        values.reserveCapacity(entries.count * 9)
        for entry in entries {
            values.append(.text(entry.incidentID))
            values.append(.integer(entry.sequence))
            values.append(.real(entry.at.timeIntervalSinceReferenceDate))
            values.append(.text(entry.actor))
            values.append(.text(entry.kind))
            values.append(.text(entry.payloadText))
            values.append(entry.corrects.map(SQLValue.integer) ?? .null)
            values.append(.text(entry.previousHash))
            values.append(.text(entry.hash))
        }
        return [WriteStep(timelineInsert(rows: entries.count).with(values: values))]
    }

    private final class MadeStatements: @unchecked Sendable {
        let lock = NSLock()
        var byRows: [Int: WriteSQL] = [:]
    }
    private static let timelineInserts = MadeStatements()

    /// `INSERT INTO timeline … VALUES (…), (…)` for `rows` rows of nine values each.
    static func timelineInsert(rows: Int) -> WriteSQL {
        if let made = timelineInserts.lock.withLock({ timelineInserts.byRows[rows] }) { return made }
        var sql: WriteSQL = "INSERT INTO timeline (incident_id, sequence, at, actor, kind, payload, corrects, previous_hash, hash) VALUES "
        let none: String? = nil
        for index in 0..<rows {
            if index > 0 { sql.append(raw: ", ") }
            sql.append("(\(bind: none), \(bind: none), \(bind: none), \(bind: none), \(bind: none), \(bind: none), \(bind: none), \(bind: none), \(bind: none))")
        }
        let made = sql
        // A write appends a handful of entries; a count seen once (a sweep over many) is not kept.
        if rows <= 64 { timelineInserts.lock.withLock { timelineInserts.byRows[rows] = made } }
        return made
    }

    private static func json(_ incident: Incident) throws -> [UInt8] {
        // Kept, so the write's answer (`IncidentView.detail`) rewrites this row's dates instead of encoding again.
        try IncidentRows.shared.row(for: incident).bytes
    }

    static func decodeIncident(_ row: any SQLRow) throws -> Incident {
        try decodeIncident(json: try row.decode(column: "data", as: String.self))
    }

    /// An incident from its stored document (the `data` column's text).
    static func decodeIncident(json: String) throws -> Incident {
        try JSONDecoder().decode(Incident.self, from: Data(json.utf8))
    }

    static func decodeEntry(_ row: any SQLRow) throws -> TimelineEntry {
        TimelineEntry(
            incidentID: try row.decode(column: "incident_id", as: String.self),
            sequence: try row.decode(column: "sequence", as: Int.self),
            at: Date(timeIntervalSinceReferenceDate: try row.decode(column: "at", as: Double.self)),
            actor: try row.decode(column: "actor", as: String.self),
            kind: try row.decode(column: "kind", as: String.self),
            payload: try JSONValue.parse(try row.decode(column: "payload", as: String.self)),
            corrects: try row.decode(column: "corrects", as: Int?.self),
            previousHash: try row.decode(column: "previous_hash", as: String.self),
            hash: try row.decode(column: "hash", as: String.self)
        )
    }
}

/// How many incidents of one jurisdiction, grade and category became known on one day.
public struct IncidentChartCount: Sendable, Equatable {
    public let jurisdiction: String
    /// Days since 1970-01-01 at the charts' UTC offset.
    public let day: Int
    public let grade: Int?
    public let category: String?
    public let count: Int

    public init(jurisdiction: String, day: Int, grade: Int?, category: String?, count: Int) {
        self.jurisdiction = jurisdiction
        self.day = day
        self.grade = grade
        self.category = category
        self.count = count
    }

    /// The day a time falls on at `utcOffset` seconds from UTC: days since 1970-01-01 there.
    public static func day(_ date: Date, utcOffset: Int) -> Int {
        Int(((date.timeIntervalSince1970 + Double(utcOffset)) / 86_400).rounded(.down))
    }
}

/// Jurisdictions in SQL, written through the same writer as incidents.
public final class SQLJurisdictionRepository: JurisdictionRepository, Sendable {
    let writer: GroupCommitWriter
    let reads: ReadConnections

    init(writer: GroupCommitWriter, reads: ReadConnections) {
        self.writer = writer
        self.reads = reads
    }

    public func jurisdictions() async throws -> [RegisteredJurisdiction] {
        try await reads.database.raw("SELECT id, name, parent_id, plan_id FROM jurisdictions ORDER BY id").all().map { row in
            RegisteredJurisdiction(
                id: try row.decode(column: "id", as: String.self),
                name: try row.decode(column: "name", as: String.self),
                parentID: try row.decode(column: "parent_id", as: String?.self),
                planID: try Self.planID(row.decode(column: "plan_id", as: String.self))
            )
        }
    }

    /// `plan_id` is NOT NULL (migration 002); a jurisdiction without its own plan is stored with ''.
    private static func planID(_ stored: String) -> String? { stored.isEmpty ? nil : stored }

    public func insert(_ jurisdiction: RegisteredJurisdiction) async throws {
        do {
            try await writer.write([WriteStep("""
                INSERT INTO jurisdictions (id, name, parent_id, plan_id)
                VALUES (\(bind: jurisdiction.id), \(bind: jurisdiction.name), \(bind: jurisdiction.parentID), \(bind: jurisdiction.planID ?? ""))
                ON CONFLICT (id) DO NOTHING
                RETURNING id
                """, refusedUnlessRow: .jurisdictionExists(jurisdiction.id))])
        } catch WriteRefusal.jurisdictionExists(let id) {
            throw IncidentError.jurisdictionExists(id)
        }
    }
}

extension SQLValue {
    static func of(_ text: String?) -> SQLValue { text.map(SQLValue.text) ?? .null }
    static func of(_ number: Int?) -> SQLValue { number.map(SQLValue.integer) ?? .null }
    static func of(_ time: Date?) -> SQLValue { time.map { .real($0.timeIntervalSinceReferenceDate) } ?? .null }
}
