/// 应急预案 — one jurisdiction's plan, with what it inherits from the national rules already merged in.
///
/// Everything the product does with an accident is read from here; every rule keeps the clause
/// it came from (`source`), so a decision can always be traced back to the paper.
public struct Plan: Sendable, Encodable {
    public let id: String
    public let name: String
    public let jurisdiction: Jurisdiction
    public let issuer: String
    public let year: Int
    /// `kunyu@1a2b3c4d5e6f`: changes whenever the plan file or its base changes, so every stored
    /// grade decision says which rules made it.
    public let version: String
    public let status: String?
    /// Where the plan was read from, for messages.
    public let file: String
    /// The id of the base rules this plan inherits (normally `national`), if any.
    public let inherits: String?

    public let categories: [AccidentCategory]
    public let grading: GradingTable
    public let response: ResponsePolicy
    public let reporting: ReportingRules
    public let warnings: WarningPolicy
    public let command: CommandOrganisation
    public let termination: Termination
    public let aftermath: Aftermath
    public let management: PlanManagement
    /// Rules in this plan or its base written without `source:`.
    public let sourceless: [PlanFileError]
}

/// The area and government level a plan covers.
public struct Jurisdiction: Sendable, Encodable {
    public let name: String
    public let level: JurisdictionLevel
    /// 上级: the bodies above, as reports go up.
    public let parent: String?
}

/// A level of government, as the regulation routes reports by it (条例第十条).
public enum JurisdictionLevel: String, CaseIterable, Sendable, Comparable, Encodable {
    case township
    case county
    case prefecture
    case province
    case national

    public var chineseName: String {
        switch self {
        case .township: return "乡镇（团场、街道）级"
        case .county: return "县级"
        case .prefecture: return "设区的市级"
        case .province: return "省级"
        case .national: return "国家级"
        }
    }

    var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// A rule's origin, kept with it: the plan clause (`5.1.1`) or the regulation article.
public struct Source: Hashable, Sendable, CustomStringConvertible {
    public let clause: String
    /// The plan or base the clause belongs to (`kunyu`, `national`).
    public let document: String

    public var description: String { clause }
}

extension Source: Encodable {
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(clause)
    }
}
