import Foundation

/// A task of the on-site HQ: from a group's plan duties or ad hoc, assigned to a group, a unit
/// or a person, acknowledged within a set time or escalated — first to the group's lead, then
/// to the commander.
public struct CommandTask: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case assigned, acknowledged, inProgress, done, blocked

        public var chineseName: String {
            switch self {
            case .assigned: return "待受领"
            case .acknowledged: return "已受领"
            case .inProgress: return "进行中"
            case .done: return "已完成"
            case .blocked: return "受阻"
            }
        }
    }

    /// Who the task is for.
    public struct Assignee: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable, CaseIterable { case group, unit, person }
        public let kind: Kind
        /// A group id, an organisation id, or a person's name.
        public let id: String
        public let name: String

        public init(kind: Kind, id: String, name: String) {
            self.kind = kind
            self.id = id
            self.name = name
        }
    }

    /// One step up the escalation ladder: to whom, when.
    public struct Escalation: Sendable, Codable, Equatable {
        public let level: Int
        public let to: String
        public let at: Date
    }

    public struct Note: Sendable, Codable, Equatable {
        public let at: Date
        public let by: String
        public let text: String
    }

    public let id: String
    public var title: String
    public var groupID: String?
    public var assignee: Assignee
    public var status: Status
    /// The plan duty it came from, when it did.
    public var source: String?
    public var dueAt: Date?
    public var acknowledgeWithinMinutes: Int
    public let createdAt: Date
    public let createdBy: String
    public var acknowledgedAt: Date?
    public var acknowledgedBy: String?
    public var blockedReason: String?
    public var escalations: [Escalation]
    public var notes: [Note]
    /// Overdue since (its due time), set by the sweep once that time has passed with the task
    /// unfinished; nil until then and for a task without a due time. Kept once set: the record
    /// shows it was late even after it is done.
    public var overdueAt: Date?

    /// When it must be acknowledged by.
    public var acknowledgeBy: Date { createdAt.addingTimeInterval(TimeInterval(acknowledgeWithinMinutes * 60)) }

    /// When the next escalation happens if it stays unacknowledged: at the acknowledgement
    /// deadline to the group lead, one more period later to the commander; nil once acknowledged
    /// or escalated as far as it goes.
    public var nextEscalationAt: Date? {
        guard status == .assigned, (escalations.last?.level ?? 0) < 2 else { return nil }
        return acknowledgeBy.addingTimeInterval(TimeInterval(escalations.count * acknowledgeWithinMinutes * 60))
    }

    /// When it falls overdue if it is not done by then: its due time, until the sweep has marked it.
    public var nextOverdueAt: Date? {
        guard let dueAt, status != .done, overdueAt == nil else { return nil }
        return dueAt
    }

    /// Past its due time and not done.
    public var isOverdue: Bool { overdueAt != nil && status != .done }

    /// The moves the task's state allows, by name.
    public static let allowedFrom: [String: Set<Status>] = [
        "acknowledge": [.assigned],
        "start": [.acknowledged, .blocked],
        "complete": [.acknowledged, .inProgress],
        "block": [.acknowledged, .inProgress],
    ]

    public var allowedMoves: [String] { Self.allowedFrom.filter { $0.value.contains(status) }.map(\.key).sorted() }
}

/// A move on a task; checked in `Incident.applyTask`.
public enum TaskMove: Sendable, Equatable {
    /// 受领
    case acknowledge
    case start
    case complete(note: String?)
    /// 受阻, with the reason.
    case block(reason: String)

    public var name: String {
        switch self {
        case .acknowledge: return "acknowledge"
        case .start: return "start"
        case .complete: return "complete"
        case .block: return "block"
        }
    }

    public var chineseName: String {
        switch self {
        case .acknowledge: return "受领任务"
        case .start: return "开始执行"
        case .complete: return "完成任务"
        case .block: return "报告受阻"
        }
    }
}
