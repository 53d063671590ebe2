import Foundation

/// A reporting obligation of one incident: a plan rule with its clock running, tracked to its end.
public struct Obligation: Sendable, Codable, Equatable {
    public let id: String
    public let ruleID: String
    public let trigger: ObligationTrigger
    public let from: String
    public let to: String
    public let channel: Channel
    public let withinMinutes: Int
    public var startsAt: Date?
    public var dueAt: Date?
    public let source: String
    public let text: String?
    public var status: ObligationStatus
    public var fulfilment: Fulfilment?
    /// Why it became not-applicable (re-graded, window closed).
    public var retiredReason: String?
}

public enum ObligationStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case fulfilled
    case overdue
    case notApplicable = "not-applicable"

    public var chineseName: String {
        switch self {
        case .pending: return "待办"
        case .fulfilled: return "已完成"
        case .overdue: return "已逾期"
        case .notApplicable: return "不再适用"
        }
    }
}

/// Proof that an obligation was met: who, when, how, and a reference (phone log no., document no.).
public struct Fulfilment: Sendable, Codable, Equatable {
    public let by: String
    public let at: Date
    public let channel: Channel
    public let reference: String
    /// True when it was met after the deadline.
    public let late: Bool
}

extension ObligationTrigger: Decodable {}
extension Channel: Decodable {}
