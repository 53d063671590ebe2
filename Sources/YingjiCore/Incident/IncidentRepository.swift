import Foundation

/// Where incidents and their timelines live. The SQL implementation is in YingjiStore; an
/// in-memory one serves the core's tests. Every write is atomic: the incident and its new
/// timeline entries are stored together or not at all.
public protocol IncidentRepository: Sendable {
    func insert(_ incident: Incident, timeline: [TimelineEntry]) async throws
    /// Replaces the stored incident only if its version is still `expectedVersion`; otherwise
    /// throws `IncidentError` with code `incident.version_conflict` and stores nothing.
    func update(_ incident: Incident, expectedVersion: Int, timeline: [TimelineEntry]) async throws
    func incident(id: String) async throws -> Incident?
    func incidents(_ query: IncidentQuery) async throws -> [Incident]
    func timeline(incidentID: String) async throws -> [TimelineEntry]
}

/// Filters for listing incidents; nil means "any".
public struct IncidentQuery: Sendable, Equatable {
    public var status: IncidentStatus?
    public var grade: Int?
    public var jurisdictions: [String]?
    public var openOnly: Bool
    public var limit: Int
    public var offset: Int

    public init(status: IncidentStatus? = nil, grade: Int? = nil, jurisdictions: [String]? = nil, openOnly: Bool = false, limit: Int = 100, offset: Int = 0) {
        self.status = status
        self.grade = grade
        self.jurisdictions = jurisdictions
        self.openOnly = openOnly
        self.limit = limit
        self.offset = offset
    }

    public func matches(_ incident: Incident) -> Bool {
        if let status, incident.status != status { return false }
        if let grade, incident.grade?.grade != grade { return false }
        if let jurisdictions, !jurisdictions.contains(incident.jurisdiction) { return false }
        if openOnly && !incident.status.isOpen { return false }
        return true
    }
}

/// Keeps everything in memory: for tests and for the core's own use without a database.
public actor InMemoryIncidentRepository: IncidentRepository {
    private var incidents: [String: Incident] = [:]
    private var order: [String] = []
    private var entries: [String: [TimelineEntry]] = [:]

    public init() {}

    public func insert(_ incident: Incident, timeline: [TimelineEntry]) throws {
        guard incidents[incident.id] == nil else {
            throw IncidentError(.conflict, "incident.exists", "事故 \(incident.id) 已存在")
        }
        incidents[incident.id] = incident
        order.append(incident.id)
        entries[incident.id] = timeline
    }

    public func update(_ incident: Incident, expectedVersion: Int, timeline: [TimelineEntry]) throws {
        guard let stored = incidents[incident.id] else {
            throw IncidentError(.notFound, "incident.not_found", "没有事故 \(incident.id)")
        }
        guard stored.version == expectedVersion else {
            throw IncidentError.staleVersion(expected: expectedVersion, actual: stored.version)
        }
        incidents[incident.id] = incident
        entries[incident.id, default: []] += timeline
    }

    public func incident(id: String) -> Incident? { incidents[id] }

    public func incidents(_ query: IncidentQuery) -> [Incident] {
        Array(order.reversed().compactMap { incidents[$0] }.filter(query.matches).dropFirst(query.offset).prefix(query.limit))
    }

    public func timeline(incidentID: String) -> [TimelineEntry] { entries[incidentID] ?? [] }
}
