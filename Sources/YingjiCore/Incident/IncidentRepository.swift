import Foundation

/// Where incidents and their timelines live. The SQL implementation is in YingjiStore; an
/// in-memory one serves the core's tests. Every write is atomic: the incident and its new
/// timeline entries are stored together or not at all.
///
/// When `idempotency` is given it is stored in the same transaction; if its key is already taken
/// the write throws `IncidentError.keyTaken` and stores nothing.
public protocol IncidentRepository: Sendable {
    func insert(_ incident: Incident, timeline: [TimelineEntry], idempotency: IdempotencyRecord?) async throws
    /// Replaces the stored incident only if its version is still `expectedVersion`; otherwise
    /// throws `IncidentError` with code `incident.version_conflict` and stores nothing.
    func update(_ incident: Incident, expectedVersion: Int, timeline: [TimelineEntry], idempotency: IdempotencyRecord?) async throws
    func incident(id: String) async throws -> Incident?
    func incidents(_ query: IncidentQuery) async throws -> [Incident]
    /// Each matching incident's id and version, without its document (newest first, as `incidents`).
    func versions(_ query: IncidentQuery) async throws -> [IncidentVersion]
    /// What lists show of each matching incident (newest first, as `incidents`).
    func summaries(_ query: IncidentQuery) async throws -> [IncidentSummary]
    func timeline(incidentID: String) async throws -> [TimelineEntry]
    /// The newest entry of an incident's timeline, which the next entry must chain to.
    func lastTimelineEntry(incidentID: String) async throws -> TimelineEntry?
    func idempotencyRecord(key: String) async throws -> IdempotencyRecord?
}

extension IncidentRepository {
    public func insert(_ incident: Incident, timeline: [TimelineEntry]) async throws {
        try await insert(incident, timeline: timeline, idempotency: nil)
    }

    public func update(_ incident: Incident, expectedVersion: Int, timeline: [TimelineEntry]) async throws {
        try await update(incident, expectedVersion: expectedVersion, timeline: timeline, idempotency: nil)
    }
}

/// Filters for listing incidents; nil means "any".
public struct IncidentQuery: Sendable, Equatable {
    public var status: IncidentStatus?
    public var grade: Int?
    public var jurisdictions: [String]?
    public var openOnly: Bool
    /// Only incidents with at least one overdue obligation.
    public var overdueOnly: Bool
    /// Only incidents with a pending obligation due at or before this instant (for the overdue sweep).
    public var pendingDueBy: Date?
    /// Only incidents an account may see (any clause matching); nil for no restriction.
    public var visibility: [VisibilityClause]?
    /// Only these incidents; nil for any.
    public var ids: [String]?
    public var limit: Int
    public var offset: Int

    public init(status: IncidentStatus? = nil, grade: Int? = nil, jurisdictions: [String]? = nil, openOnly: Bool = false,
                overdueOnly: Bool = false, pendingDueBy: Date? = nil, visibility: [VisibilityClause]? = nil, ids: [String]? = nil,
                limit: Int = 100, offset: Int = 0) {
        self.visibility = visibility
        self.ids = ids
        self.status = status
        self.grade = grade
        self.jurisdictions = jurisdictions
        self.openOnly = openOnly
        self.overdueOnly = overdueOnly
        self.pendingDueBy = pendingDueBy
        self.limit = limit
        self.offset = offset
    }

    public func matches(_ incident: Incident) -> Bool {
        if let status, incident.status != status { return false }
        if let grade, incident.grade?.grade != grade { return false }
        if let jurisdictions, !jurisdictions.contains(incident.jurisdiction) { return false }
        if openOnly && !incident.status.isOpen { return false }
        if overdueOnly && incident.overdueCount == 0 { return false }
        if let pendingDueBy, !(incident.earliestPendingDue.map { $0 <= pendingDueBy } ?? false) { return false }
        if let visibility, !visibility.contains(where: { $0.matches(incident.access) }) { return false }
        if let ids, !ids.contains(incident.id) { return false }
        return true
    }
}

/// An incident's id and version: what a pass over many incidents reads first, to read whole only
/// the ones it must.
public struct IncidentVersion: Sendable, Equatable {
    public let id: String
    public let version: Int

    public init(id: String, version: Int) {
        self.id = id
        self.version = version
    }
}

/// Keeps everything in memory: for tests and for the core's own use without a database.
public actor InMemoryIncidentRepository: IncidentRepository {
    private var incidents: [String: Incident] = [:]
    private var order: [String] = []
    private var entries: [String: [TimelineEntry]] = [:]
    private var answers: [String: IdempotencyRecord] = [:]

    public init() {}

    public func insert(_ incident: Incident, timeline: [TimelineEntry], idempotency: IdempotencyRecord?) throws {
        guard incidents[incident.id] == nil else {
            throw IncidentError(.conflict, "incident.exists", "事故 \(incident.id) 已存在")
        }
        try claim(idempotency)
        incidents[incident.id] = incident
        order.append(incident.id)
        entries[incident.id] = timeline
    }

    public func update(_ incident: Incident, expectedVersion: Int, timeline: [TimelineEntry], idempotency: IdempotencyRecord?) throws {
        guard let stored = incidents[incident.id] else {
            throw IncidentError(.notFound, "incident.not_found", "没有事故 \(incident.id)")
        }
        guard stored.version == expectedVersion else {
            throw IncidentError.staleVersion(expected: expectedVersion, actual: stored.version)
        }
        try claim(idempotency)
        incidents[incident.id] = incident
        entries[incident.id, default: []] += timeline
    }

    public func incident(id: String) -> Incident? { incidents[id] }

    public func incidents(_ query: IncidentQuery) -> [Incident] {
        Array(order.reversed().compactMap { incidents[$0] }.filter(query.matches).dropFirst(query.offset).prefix(query.limit))
    }

    public func versions(_ query: IncidentQuery) -> [IncidentVersion] {
        incidents(query).map { IncidentVersion(id: $0.id, version: $0.version) }
    }

    public func summaries(_ query: IncidentQuery) -> [IncidentSummary] {
        incidents(query).map(IncidentSummary.init)
    }

    public func timeline(incidentID: String) -> [TimelineEntry] { entries[incidentID] ?? [] }

    public func lastTimelineEntry(incidentID: String) -> TimelineEntry? { entries[incidentID]?.last }

    public func idempotencyRecord(key: String) -> IdempotencyRecord? { answers[key] }

    private func claim(_ record: IdempotencyRecord?) throws {
        guard let record else { return }
        guard answers[record.key] == nil else { throw IncidentError.keyTaken(record.key) }
        answers[record.key] = record
    }
}
