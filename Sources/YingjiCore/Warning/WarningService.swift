import Foundation

/// Where warnings live. Their timelines share the incidents' timeline store, keyed by the
/// warning's id, so `audit verify` recomputes their chains too. Every write is atomic.
public protocol WarningRepository: Sendable {
    func insert(_ warning: Warning, timeline: [TimelineEntry], idempotency: IdempotencyRecord?) async throws
    /// Replaces the stored warning only if its version is still `expectedVersion`; otherwise throws
    /// `IncidentError` with code `incident.version_conflict` and stores nothing.
    func update(_ warning: Warning, expectedVersion: Int, timeline: [TimelineEntry], idempotency: IdempotencyRecord?) async throws
    func warning(id: String) async throws -> Warning?
    func warnings(_ query: WarningQuery) async throws -> [Warning]
    func timeline(warningID: String) async throws -> [TimelineEntry]
    func lastTimelineEntry(warningID: String) async throws -> TimelineEntry?
}

/// Filters for listing warnings; nil means "any". Newest first.
public struct WarningQuery: Sendable, Equatable {
    public var status: Warning.Status?
    /// Published and not lifted.
    public var currentOnly: Bool
    /// Warnings of these jurisdictions or notified to them.
    public var jurisdictions: [String]?
    public var incidentID: String?
    public var limit: Int
    /// Only warnings listed after this one (older, or as old with a smaller id): the next page
    /// begins where the last one ended, so a warning that leaves the filter between pages moves
    /// no other one past the cursor unread.
    public var after: Cursor?

    /// Where a page ended: the last warning's creation time and id (warnings are listed by both,
    /// newest first).
    public struct Cursor: Sendable, Equatable {
        public var createdAt: Date
        public var id: String

        public init(createdAt: Date, id: String) {
            self.createdAt = createdAt
            self.id = id
        }

        public init(_ warning: Warning) {
            self.init(createdAt: warning.createdAt, id: warning.id)
        }

        /// True when `warning` comes after the cursor in the listing order.
        public func precedes(_ warning: Warning) -> Bool {
            warning.createdAt < createdAt || (warning.createdAt == createdAt && warning.id < id)
        }
    }

    public init(status: Warning.Status? = nil, currentOnly: Bool = false, jurisdictions: [String]? = nil, incidentID: String? = nil, limit: Int = 200,
                after: Cursor? = nil) {
        self.status = status
        self.currentOnly = currentOnly
        self.jurisdictions = jurisdictions
        self.incidentID = incidentID
        self.limit = limit
        self.after = after
    }

    public func matches(_ warning: Warning) -> Bool {
        if let status, warning.status != status { return false }
        if currentOnly && !warning.isCurrent { return false }
        if let jurisdictions, !([warning.jurisdiction] + warning.notified).contains(where: jurisdictions.contains) { return false }
        if let incidentID, warning.incidentID != incidentID { return false }
        if let after, !after.precedes(warning) { return false }
        return true
    }
}

/// The stored answer for a request under an idempotency key, made from what the write produced.
public typealias WarningAnswer = @Sendable (Warning) throws -> IdempotencyRecord

/// The warning use cases: draft, move, read. Each loads the warning, applies the domain move,
/// seals the events into the warning's chain and saves both in one write guarded by its version.
public struct WarningService: Sendable {
    public let repository: WarningRepository
    public let plans: PlanCatalog
    public let clock: WallClock
    public let ids: IDGenerator
    public let hasher: ChainHasher

    public init(repository: WarningRepository, plans: PlanCatalog, clock: WallClock, ids: IDGenerator, hasher: ChainHasher) {
        self.repository = repository
        self.plans = plans
        self.clock = clock
        self.ids = ids
        self.hasher = hasher
    }

    public func draft(jurisdiction: String, content: WarningContent, incidentID: String?, unit: WarningUnit? = nil, notified: [String] = [],
                      actor: String, answer: WarningAnswer? = nil) async throws -> Warning {
        let plan = try plan(for: jurisdiction)
        let now = clock.now()
        let (warning, events) = try Warning.draft(id: ids.next("wrn"), plan: plan, jurisdiction: jurisdiction, content: content,
                                                  incidentID: incidentID, unit: unit, notified: notified, actor: actor, now: now)
        try await repository.insert(warning, timeline: seal(events, id: warning.id, after: nil, actor: actor, now: now), idempotency: try answer?(warning))
        return warning
    }

    public func apply(_ warningID: String, _ command: WarningCommand, expectedVersion: Int?, actor: String,
                      answer: WarningAnswer? = nil) async throws -> Warning {
        var warning = try await self.warning(warningID)
        if let expectedVersion, expectedVersion != warning.version {
            throw Self.staleVersion(expected: expectedVersion, actual: warning.version)
        }
        let plan = try plan(for: warning.jurisdiction)
        let now = clock.now()
        let loaded = warning.version
        let events = try warning.apply(command, plan: plan, actor: actor, now: now, ids: ids)
        guard !events.isEmpty else { return warning }
        warning.version = loaded + 1
        let last = try await repository.lastTimelineEntry(warningID: warningID)
        do {
            try await repository.update(warning, expectedVersion: loaded, timeline: seal(events, id: warningID, after: last, actor: actor, now: now),
                                        idempotency: try answer?(warning))
        } catch let error as IncidentError where error.code == "incident.version_conflict" {
            // Someone else changed it meanwhile: said of the warning, with the version now stored.
            let actual = try await repository.warning(id: warningID)?.version ?? loaded
            throw Self.staleVersion(expected: loaded, actual: actual)
        }
        return warning
    }

    static func staleVersion(expected: Int, actual: Int) -> IncidentError {
        IncidentError(.conflict, "warning.version_conflict", "预警已被他人修改（你的版本 \(expected)，当前版本 \(actual)），请刷新后重试", field: "version")
    }

    public func warning(_ id: String) async throws -> Warning {
        guard let warning = try await repository.warning(id: id) else {
            throw IncidentError(.notFound, "warning.not_found", "没有预警 \(id)")
        }
        return warning
    }

    public func plan(for jurisdiction: String) throws -> Plan { try plans.plan(for: jurisdiction) }

    private func seal(_ events: [TimelineEvent], id: String, after last: TimelineEntry?, actor: String, now: Date) -> [TimelineEntry] {
        TimelineEntry.seal(events, chain: id, after: last, at: now, actor: actor, hasher: hasher)
    }
}

/// Keeps warnings in memory, for the core's tests.
public actor InMemoryWarningRepository: WarningRepository {
    private var stored: [String: Warning] = [:]
    private var entries: [String: [TimelineEntry]] = [:]

    public init() {}

    public func insert(_ warning: Warning, timeline: [TimelineEntry], idempotency: IdempotencyRecord?) throws {
        guard stored[warning.id] == nil else { throw IncidentError(.conflict, "warning.exists", "预警 \(warning.id) 已存在") }
        stored[warning.id] = warning
        entries[warning.id] = timeline
    }

    public func update(_ warning: Warning, expectedVersion: Int, timeline: [TimelineEntry], idempotency: IdempotencyRecord?) throws {
        guard let current = stored[warning.id] else { throw IncidentError(.notFound, "warning.not_found", "没有预警 \(warning.id)") }
        guard current.version == expectedVersion else { throw IncidentError.staleVersion(expected: expectedVersion, actual: current.version) }
        stored[warning.id] = warning
        entries[warning.id, default: []] += timeline
    }

    public func warning(id: String) -> Warning? { stored[id] }

    public func warnings(_ query: WarningQuery) -> [Warning] {
        // Newest first, as old by id, as the SQL store lists them.
        Array(stored.values.filter(query.matches).sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }.prefix(query.limit))
    }

    public func timeline(warningID: String) -> [TimelineEntry] { entries[warningID] ?? [] }

    public func lastTimelineEntry(warningID: String) -> TimelineEntry? { entries[warningID]?.last }
}
