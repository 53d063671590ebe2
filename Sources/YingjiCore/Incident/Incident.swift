import Foundation

/// 事故 — one accident from its first report to the archive.
///
/// The aggregate the store saves as a whole, with a `version` for optimistic concurrency; its
/// history is the timeline, kept beside it and only ever appended to.
public struct Incident: Sendable, Codable, Equatable {
    public let id: String
    public let planID: String
    /// The plan version the latest grade decision used.
    public var planVersion: String
    public let jurisdiction: String
    /// The production unit (organisation id) the incident was reported for, when an enterprise reported it.
    public var organisationID: String?
    /// Organisations with a part in the incident (lead department, reporting unit); nil in records made before accounts.
    public var involvedOrganisations: [String]?
    public var category: String?
    public var occurredAt: Date?
    public let knownAt: Date
    /// The current figures: for each metric, the latest report that gave it.
    public var figures: AccidentFigures
    public var grade: GradeRecord?
    public var response: ResponseRecord?
    /// 移交指挥权: who holds command now, when it was handed over.
    public var commandHolder: String?
    public var status: IncidentStatus
    public var suspension: String?
    public var confirmedConditions: [ConditionConfirmation]
    public var reports: [Report]
    public var obligations: [Obligation]
    /// 牵头部门: the plan's suggestion for the category and what the duty officer confirmed.
    public var leadDepartment: LeadDepartmentRecord?
    /// 现场指挥部, from the moment a response starts at a level the plan forms it for.
    public var commandPost: CommandPost?
    public var version: Int
    /// When the changes since a version were all the overdue sweep's (obligations marked overdue,
    /// task acknowledgements escalated): that version. A form opened at it or after is not stale,
    /// as nothing a person decided has changed since. Nil after any other change.
    public var sweptSince: Int?
    public let createdAt: Date
    public var updatedAt: Date

    /// The earliest deadline still open, for boards and lists.
    public var nextDeadline: Date? {
        earliestDue(from: nil) { ($0.status == .pending || $0.status == .overdue) && $0.trigger != .casualtyChange }
    }

    /// The earliest due time of the obligations `counts` lets through, or `start` if earlier: one
    /// pass, no arrays in between (asked for on every write and every answer).
    private func earliestDue(from start: Date?, where counts: (Obligation) -> Bool) -> Date? {
        var earliest = start
        for obligation in obligations where counts(obligation) {
            if let due = obligation.dueAt, earliest.map({ due < $0 }) ?? true { earliest = due }
        }
        return earliest
    }

    /// The earliest due time of a still-pending obligation or task escalation: when the sweep must
    /// look next. Nil once the incident is closed (evaluated or archived): the sweep looks only at
    /// open incidents, so a 补报 window still running at archiving never brings it back.
    public var earliestPendingDue: Date? {
        guard status.isOpen else { return nil }
        return earliestDue(from: commandPostIsWorking ? commandPost?.nextEscalation : nil) { $0.status == .pending }
    }

    public var overdueCount: Int {
        var count = 0
        for obligation in obligations where obligation.status == .overdue { count += 1 }
        return count
    }

    /// Whether a write made against `expected` may still go ahead: it is the current version, or
    /// only the overdue sweep has changed the incident since.
    public func accepts(expectedVersion expected: Int) -> Bool {
        expected == version || (sweptSince.map { expected >= $0 && expected < version } ?? false)
    }
}

/// 事故状态 — where an incident is in its life.
public enum IncidentStatus: String, Sendable, Codable, CaseIterable {
    case reported, verified, responding, suspended, onSiteEnded, responseEnded, aftermath, evaluated, archived

    public var chineseName: String {
        switch self {
        case .reported: return "已接报"
        case .verified: return "已核实"
        case .responding: return "响应中"
        case .suspended: return "暂停救援"
        case .onSiteEnded: return "现场处置结束"
        case .responseEnded: return "响应终止"
        case .aftermath: return "善后处置"
        case .evaluated: return "已总结评估"
        case .archived: return "已归档"
        }
    }

    /// Still needs someone to act (for lists and metrics).
    public var isOpen: Bool { self != .archived && self != .evaluated }
}

/// A grade decision as stored: the grade, every criterion behind it, and the plan version used.
public struct GradeRecord: Sendable, Codable, Equatable {
    public let grade: Int?
    public let criteria: [MatchedCriterion]
    public let planVersion: String
    public let decidedAt: Date
}

public struct MatchedCriterion: Sendable, Codable, Equatable {
    public let metric: String
    public let value: Int64
    public let grade: Int
    public let text: String?
    public let source: String
}

// Written as the API shows a grade decision (the grade's Chinese name beside its number, absent
// values as null), so the stored row and the answer are one encoding. Decoding ignores `name`.
extension GradeRecord {
    private enum WrittenKeys: String, CodingKey { case grade, name, criteria, planVersion, decidedAt }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: WrittenKeys.self)
        if let grade { try container.encode(grade, forKey: .grade) } else { try container.encodeNil(forKey: .grade) }
        if let name = grade.flatMap(Grade.init)?.chineseName { try container.encode(name, forKey: .name) } else { try container.encodeNil(forKey: .name) }
        try container.encode(criteria, forKey: .criteria)
        try container.encode(planVersion, forKey: .planVersion)
        try container.encode(decidedAt, forKey: .decidedAt)
    }
}

extension MatchedCriterion {
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(metric, forKey: .metric)
        try container.encode(value, forKey: .value)
        try container.encode(grade, forKey: .grade)
        if let text { try container.encode(text, forKey: .text) } else { try container.encodeNil(forKey: .text) }
        try container.encode(source, forKey: .source)
    }
}

/// A started response: its level, who decided and signed, and the body that may end it.
public struct ResponseRecord: Sendable, Codable, Equatable {
    public var level: Int
    /// Role ids that decided (the plan's `decides`).
    public let decidedBy: String
    public var signedBy: String
    public let startedAt: Date
    /// 请示 etc. recorded when the level's authority has a precondition.
    public let precondition: String?
}

/// 终止条件 confirmed, by whom and when.
public struct ConditionConfirmation: Sendable, Codable, Equatable {
    public let conditionID: String
    public let by: String
    public let at: Date
}

extension AccidentFigures: Codable {
    public init(from decoder: Decoder) throws {
        let raw = try decoder.singleValueContainer().decode([String: Int64].self)
        self.init(Dictionary(uniqueKeysWithValues: raw.compactMap { key, value in Metric(rawValue: key).map { ($0, value) } }))
    }

    /// An object of metric names and numbers, written field by field (the same JSON a
    /// `[String: Int64]` gives, without building that dictionary first).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: MetricKey.self)
        for (metric, value) in values { try container.encode(value, forKey: MetricKey(stringValue: metric.rawValue)) }
    }

    private struct MetricKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
