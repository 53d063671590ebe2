import Foundation

/// Finds the plan that governs a jurisdiction.
public protocol PlanCatalog: Sendable {
    func plan(forJurisdiction jurisdiction: String) -> Plan?
}

extension PlanCatalog {
    /// The jurisdiction's plan, or the error that names the unknown jurisdiction.
    public func plan(for jurisdiction: String) throws -> Plan {
        guard let plan = plan(forJurisdiction: jurisdiction) else {
            throw IncidentError(.invalid, "jurisdiction.unknown", "未知辖区「\(jurisdiction)」", field: "jurisdiction")
        }
        return plan
    }
}

/// The use cases: report, follow up, move, fulfil, sweep overdue. Each loads the incident,
/// applies the domain operation, seals the resulting events into the timeline and saves both
/// in one atomic write guarded by the incident's version.
public struct IncidentService: Sendable {
    public let repository: IncidentRepository
    public let plans: PlanCatalog
    public let clock: WallClock
    public let ids: IDGenerator
    public let hasher: ChainHasher

    public init(repository: IncidentRepository, plans: PlanCatalog, clock: WallClock, ids: IDGenerator, hasher: ChainHasher) {
        self.repository = repository
        self.plans = plans
        self.clock = clock
        self.ids = ids
        self.hasher = hasher
    }

    /// 初报: opens an incident in `jurisdiction`. `knownAt` defaults to now.
    ///
    /// With `answer`, the stored answer for an idempotency key is written in the same transaction.
    public func report(jurisdiction: String, _ draft: ReportDraft, knownAt: Date? = nil, actor: String,
                       parties: IncidentParties = IncidentParties(), answer: IdempotencyAnswer? = nil) async throws -> Incident {
        let plan = try plan(for: jurisdiction)
        let now = clock.now()
        if let knownAt, knownAt > now.addingTimeInterval(Plan.allowedClockSkew) {
            throw IncidentError(.invalid, "report.future_time", "获知事故时间不能晚于现在", field: "knownAt")
        }
        let (incident, events) = try Incident.open(id: ids.next("inc"), plan: plan, jurisdiction: jurisdiction, report: draft,
                                                   knownAt: knownAt ?? now, actor: actor, now: now, ids: ids, parties: parties)
        try await repository.insert(incident, timeline: seal(events, incidentID: incident.id, after: nil, actor: actor, now: now),
                                    idempotency: try answer?(incident))
        return incident
    }

    /// 续报 / 补报
    public func addReport(_ incidentID: String, _ draft: ReportDraft, expectedVersion: Int?, actor: String,
                          answer: IdempotencyAnswer? = nil) async throws -> Incident {
        try await change(incidentID, expectedVersion: expectedVersion, actor: actor, answer: answer) { incident, plan, now in
            try incident.add(draft, plan: plan, actor: actor, now: now, ids: ids)
        }
    }

    public func apply(_ incidentID: String, _ command: LifecycleCommand, expectedVersion: Int?, actor: String,
                      answer: IdempotencyAnswer? = nil) async throws -> Incident {
        try await change(incidentID, expectedVersion: expectedVersion, actor: actor, answer: answer) { incident, plan, now in
            try incident.apply(command, plan: plan, actor: actor, now: now, ids: ids)
        }
    }

    public func fulfil(_ incidentID: String, obligation: String, channel: Channel, reference: String, expectedVersion: Int?, actor: String,
                       answer: IdempotencyAnswer? = nil) async throws -> Incident {
        try await change(incidentID, expectedVersion: expectedVersion, actor: actor, answer: answer) { incident, _, now in
            try incident.fulfil(obligation, by: actor, channel: channel, reference: reference, now: now)
        }
    }

    /// A change to the on-site HQ (groups, tasks, forces).
    public func command(_ incidentID: String, _ operation: CommandOperation, expectedVersion: Int?, actor: String,
                        answer: IdempotencyAnswer? = nil) async throws -> Incident {
        try await change(incidentID, expectedVersion: expectedVersion, actor: actor, answer: answer) { incident, _, now in
            try incident.applyCommand(operation, actor: actor, now: now, ids: ids)
        }
    }

    /// 牵头部门 confirmed, or another named with a reason.
    public func confirmLeadDepartment(_ incidentID: String, units: [String], reason: String?, expectedVersion: Int?, actor: String,
                                      answer: IdempotencyAnswer? = nil) async throws -> Incident {
        try await change(incidentID, expectedVersion: expectedVersion, actor: actor, answer: answer) { incident, _, now in
            try incident.confirmLeadDepartment(units: units, reason: reason, actor: actor, now: now)
        }
    }

    /// 更正: appends a correction that points at an earlier entry; the entry itself stays as it was.
    public func correct(_ incidentID: String, entry sequence: Int, reason: String, correction: String, expectedVersion: Int?, actor: String,
                        answer: IdempotencyAnswer? = nil) async throws -> Incident {
        let last = try await repository.lastTimelineEntry(incidentID: incidentID)?.sequence ?? 0
        return try await change(incidentID, expectedVersion: expectedVersion, actor: actor, answer: answer) { incident, _, now in
            try incident.correct(entry: sequence, lastSequence: last, reason: reason, correction: correction, now: now)
        }
    }

    /// Marks obligations overdue across every open incident; returns the incidents that changed
    /// and which of their obligations this sweep made overdue (`sweepOverdue(actor:failed:swept:)`).
    public func sweepOverdue(actor: String = "系统", failed: (String, Error) -> Void = { _, _ in }) async throws -> [SweptIncident] {
        var changed: [SweptIncident] = []
        try await sweepOverdue(actor: actor, failed: failed) { _, swept in changed.append(swept) }
        return changed
    }

    /// Marks obligations overdue across every open incident, handing each incident it changed, as
    /// stored, and what changed in it to `swept` as soon as the change is stored (a sweep after a
    /// long outage may change thousands: none waits for the rest, and none is held for the rest).
    /// A version conflict means someone else just wrote; the next sweep picks it up.
    /// One incident that cannot be swept (its jurisdiction lost its plan, say) is reported to
    /// `failed` and skipped; it never stops the others from turning overdue.
    /// Candidates are listed by id and version alone and read whole one at a time, however many
    /// are open.
    public func sweepOverdue(actor: String = "系统", failed: (String, Error) -> Void = { _, _ in },
                             swept: (Incident, SweptIncident) async -> Void) async throws {
        for candidate in try await repository.versions(IncidentQuery(openOnly: true, pendingDueBy: clock.now(), limit: Int.max)) {
            do {
                if let (incident, changed) = try await sweep(candidate, actor: actor) { await swept(incident, changed) }
            } catch let error as IncidentError where error.code == "incident.version_conflict" {
                continue
            } catch {
                failed(candidate.id, error)
            }
        }
    }

    private func sweep(_ candidate: IncidentVersion, actor: String) async throws -> (Incident, SweptIncident)? {
        var wasOverdue: Set<String> = []
        var escalationsBefore: [String: Int] = [:]
        var tasksOverdue: Set<String> = []
        var wrote = false
        let incident = try await change(candidate.id, expectedVersion: candidate.version, actor: actor, answer: nil, bySweep: true) { incident, _, now in
            wasOverdue = Set(incident.obligations.filter { $0.status == .overdue }.map(\.id))
            escalationsBefore = Dictionary(uniqueKeysWithValues: (incident.commandPost?.tasks ?? []).map { ($0.id, $0.escalations.count) })
            tasksOverdue = Set((incident.commandPost?.tasks ?? []).filter { $0.overdueAt != nil }.map(\.id))
            let events = incident.markOverdue(now: now) + incident.escalateTasks(now: now)
            wrote = !events.isEmpty
            return events
        }
        guard wrote else { return nil }
        return (incident, SweptIncident(
            id: incident.id,
            newlyOverdue: incident.obligations.filter { $0.status == .overdue && !wasOverdue.contains($0.id) },
            newlyEscalated: (incident.commandPost?.tasks ?? []).filter { $0.escalations.count > (escalationsBefore[$0.id] ?? 0) },
            newlyOverdueTasks: (incident.commandPost?.tasks ?? []).filter { $0.overdueAt != nil && !tasksOverdue.contains($0.id) }
        ))
    }

    public func incident(_ id: String) async throws -> Incident {
        guard let incident = try await repository.incident(id: id) else {
            throw IncidentError(.notFound, "incident.not_found", "没有事故 \(id)")
        }
        return incident
    }

    func plan(for jurisdiction: String) throws -> Plan { try plans.plan(for: jurisdiction) }

    /// Loads, applies, seals and saves. `expectedVersion` is the version the caller saw: a later
    /// one is refused as stale unless only the overdue sweep wrote since (`Incident.accepts`); the
    /// save itself is always guarded by the version loaded here.
    private func change(_ incidentID: String, expectedVersion: Int?, actor: String, answer: IdempotencyAnswer?, bySweep: Bool = false,
                        _ operation: (inout Incident, Plan, Date) throws -> [TimelineEvent]) async throws -> Incident {
        var incident = try await self.incident(incidentID)
        if let expectedVersion, !incident.accepts(expectedVersion: expectedVersion) {
            throw IncidentError.staleVersion(expected: expectedVersion, actual: incident.version)
        }
        let plan = try plan(for: incident.jurisdiction)
        let now = clock.now()
        let loadedVersion = incident.version
        let events = try operation(&incident, plan, now)
        guard !events.isEmpty else { return incident }
        incident.sweptSince = bySweep ? (incident.sweptSince ?? loadedVersion) : nil
        incident.version = loadedVersion + 1
        let last = try await repository.lastTimelineEntry(incidentID: incidentID)
        try await repository.update(incident, expectedVersion: loadedVersion, timeline: seal(events, incidentID: incidentID, after: last, actor: actor, now: now),
                                    idempotency: try answer?(incident))
        return incident
    }

    private func seal(_ events: [TimelineEvent], incidentID: String, after last: TimelineEntry?, actor: String, now: Date) -> [TimelineEntry] {
        TimelineEntry.seal(events, chain: incidentID, after: last, at: now, actor: actor, hasher: hasher)
    }
}

/// What the overdue sweep changed in one incident (without the incident itself: a sweep after a
/// long outage may change thousands).
public struct SweptIncident: Sendable {
    public let id: String
    /// Obligations that became overdue in this sweep (补报 windows that closed are not among them).
    public let newlyOverdue: [Obligation]
    /// Tasks whose acknowledgement this sweep escalated (each with its new escalation last).
    public var newlyEscalated: [CommandTask] = []
    /// Tasks this sweep found unfinished past their due time.
    public var newlyOverdueTasks: [CommandTask] = []
}
