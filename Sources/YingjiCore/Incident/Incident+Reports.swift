import Foundation

/// Makes ids for new records; the store decides their shape (UUIDs in production, counters in tests).
public protocol IDGenerator: Sendable {
    func next(_ prefix: String) -> String
}

/// Who has a part in a new incident: the production unit it is reported for, and every
/// organisation that should see it (that unit, the lead department for its category).
public struct IncidentParties: Sendable, Equatable {
    public let organisationID: String?
    public let involved: [String]

    public init(organisationID: String? = nil, involved: [String] = []) {
        self.organisationID = organisationID
        var seen = Set<String>()
        self.involved = ((organisationID.map { [$0] } ?? []) + involved).filter { seen.insert($0).inserted }
    }
}

extension Incident {
    /// Opens an incident from its initial report (初报): validates it against the plan, grades it,
    /// and starts every reporting clock. Returns the incident and what to put on its timeline.
    public static func open(id: String, plan: Plan, jurisdiction: String, report draft: ReportDraft, knownAt: Date,
                            actor: String, now: Date, ids: IDGenerator, parties: IncidentParties = IncidentParties()) throws -> (Incident, [TimelineEvent]) {
        guard draft.kind == .initial else {
            throw IncidentError(.invalid, "report.kind", "新事故必须以初报开始", field: "kind")
        }
        let category = try plan.validate(draft, now: now)
        let report = Report(id: ids.next("rpt"), kind: .initial, receivedAt: now, actor: actor, fields: draft.fields,
                            figures: AccidentFigures(draft.figures), category: category, occurredAt: draft.occurredAt)
        var incident = Incident(
            id: id, planID: plan.id, planVersion: plan.version, jurisdiction: jurisdiction, category: category,
            occurredAt: draft.occurredAt, knownAt: knownAt, figures: AccidentFigures(draft.figures), grade: nil,
            response: nil, commandHolder: nil, status: .reported, suspension: nil, confirmedConditions: [],
            reports: [report], obligations: [], version: 1, createdAt: now, updatedAt: now
        )
        incident.organisationID = parties.organisationID
        incident.involvedOrganisations = parties.involved
        var payload = report.timelinePayload
        if case .object(var fields) = payload, !parties.involved.isEmpty {
            fields["organisation"] = .optional(parties.organisationID)
            fields["involvedOrganisations"] = .array(parties.involved.map(JSONValue.string))
            payload = .object(fields)
        }
        var events = [TimelineEvent("incident.reported", payload)]
        events += incident.regrade(plan: plan, now: now, ids: ids)
        incident.suggestLeadDepartment(plan: plan)
        return (incident, events)
    }

    /// Adds a 续报 or 补报: every report is kept; the figures it gives replace the current ones,
    /// and the incident is graded again.
    public mutating func add(_ draft: ReportDraft, plan: Plan, actor: String, now: Date, ids: IDGenerator) throws -> [TimelineEvent] {
        try ensureWritable()
        guard draft.kind != .initial else {
            throw IncidentError(.conflict, "report.initial_exists", "本事故已有初报；后续情况请用续报或补报", field: "kind")
        }
        let category = try plan.validate(draft, now: now)
        let report = Report(id: ids.next("rpt"), kind: draft.kind, receivedAt: now, actor: actor, fields: draft.fields,
                            figures: AccidentFigures(draft.figures), category: category, occurredAt: draft.occurredAt)
        var copy = self
        copy.reports.append(report)
        for (metric, value) in draft.figures { copy.figures[metric] = value }
        if let category {
            copy.category = category
            copy.suggestLeadDepartment(plan: plan)
        }
        if let occurred = draft.occurredAt { copy.occurredAt = occurred }
        copy.updatedAt = now
        var events = [TimelineEvent("report.\(draft.kind.rawValue)", report.timelinePayload)]
        events += copy.regrade(plan: plan, now: now, ids: ids)
        self = copy
        return events
    }

    /// Grades the current figures; on a change, records the decision and reconciles obligations.
    mutating func regrade(plan: Plan, now: Date, ids: IDGenerator) -> [TimelineEvent] {
        let decision = plan.grade(figures, category: category)
        let record = GradeRecord(
            grade: decision.grade?.number,
            criteria: decision.matched.map {
                MatchedCriterion(metric: $0.metric.rawValue, value: $0.value, grade: $0.grade.number, text: $0.criterion.text, source: $0.source.clause)
            },
            planVersion: plan.version,
            decidedAt: now
        )
        var events: [TimelineEvent] = []
        if grade?.grade != record.grade || grade?.criteria != record.criteria {
            let kind = grade == nil ? "grade.decided" : "grade.changed"
            events.append(TimelineEvent(kind, [
                "from": grade?.grade.map { .int(Int64($0)) } ?? .null,
                "to": record.grade.map { .int(Int64($0)) } ?? .null,
                "criteria": .array(record.criteria.map { ["metric": .string($0.metric), "value": .int($0.value), "grade": .int(Int64($0.grade)), "source": .string($0.source)] }),
                "planVersion": .string(plan.version),
            ]))
            grade = record
            planVersion = plan.version
        }
        return events + reconcileObligations(plan: plan, now: now, ids: ids)
    }

    func ensureWritable() throws {
        if status == .archived { throw IncidentError.archived }
    }
}

extension Report {
    var timelinePayload: JSONValue {
        [
            "reportID": .string(id),
            "kind": .string(kind.rawValue),
            "fields": .object(fields.mapValues(JSONValue.string)),
            "figures": .object(Dictionary(uniqueKeysWithValues: figures.values.map { ($0.key.rawValue, JSONValue.int($0.value)) })),
            "category": .optional(category),
            "occurredAt": .time(occurredAt),
        ]
    }
}
