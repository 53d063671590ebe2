/// 信息报送 — the plan's reporting rules and the chain of bodies reports climb.
public struct ReportingRules: Sendable, Encodable {
    public let rules: [ObligationRule]
    /// The bodies a report climbs, from the first one the unit reports to (条例第十条).
    public let chain: [ChainLink]
    /// What the first report (初报) must contain.
    public let initialReportFields: [ContentField]
    public let initialReportSource: Source?
    /// What a follow-up report (续报) must contain.
    public let followUpFields: [ContentField]
    public let followUpSource: Source?

    public func rule(_ id: String) -> ObligationRule? { rules.first { $0.id == id } }
}

/// One body on the reporting chain and its level of government.
public struct ChainLink: Sendable, Encodable {
    public let level: JurisdictionLevel
    public let body: String
}

/// A field a report or warning must carry, with the plan's name for it.
public struct ContentField: Sendable, Encodable {
    public let id: String
    public let name: String
    /// False for fields a report may leave empty (其他应当报告的情况).
    public let required: Bool
}

/// What starts an obligation's clock.
public enum ObligationTrigger: String, Sendable, CaseIterable, Encodable {
    /// The accident became known (or occurred, for rules counted 事发后).
    case accidentKnown
    /// A response was started.
    case responseStarted
    /// Casualty figures changed after the first report (补报 window, 条例第十三条).
    case casualtyChange

    public var chineseName: String {
        switch self {
        case .accidentKnown: return "获知事故"
        case .responseStarted: return "启动响应"
        case .casualtyChange: return "伤亡人数变化"
        }
    }
}

/// How an obligation is to be fulfilled.
public enum Channel: String, Sendable, CaseIterable, Encodable {
    case phone
    case written
    case phoneOrWritten = "phone-or-written"
    /// 发布权威信息 — an authoritative public release.
    case publicRelease = "public-release"
    /// 新闻发布会
    case pressConference = "press-conference"

    public var chineseName: String {
        switch self {
        case .phone: return "电话"
        case .written: return "书面"
        case .phoneOrWritten: return "电话或书面"
        case .publicRelease: return "发布权威信息"
        case .pressConference: return "新闻发布会"
        }
    }
}

/// The moment a rule's time limit is counted from.
public enum ClockStart: String, Sendable, CaseIterable, Encodable {
    /// 接到报告后 — when the accident became known.
    case known
    /// 事发后 / 自事故发生之日起 — when the accident happened.
    case occurred
}

/// When a rule applies: grades and categories. Empty lists mean "any".
public struct RuleCondition: Sendable, Encodable {
    public let grades: [Grade]
    public let categories: [String]
    public let exceptCategories: [String]

    static let always = RuleCondition(grades: [], categories: [], exceptCategories: [])
}

/// One reporting obligation: from whom, to whom, by which channel, within how long, and why.
public struct ObligationRule: Sendable, Encodable {
    public let id: String
    public let trigger: ObligationTrigger
    public let when: RuleCondition
    /// The clock starts when the rule with this id is due (the body above receives the report).
    public let after: String?
    public let clockFrom: ClockStart
    public let from: String
    public let to: String
    public let channel: Channel
    /// 0 means 立即 (at once).
    public let withinMinutes: Int
    /// Inherited rules this one replaces wherever this one applies.
    public let overrides: [String]
    /// The on-site working group that carries it out, when the plan says (an id from `command.onSite.groups`).
    public let group: String?
    public let text: String?
    public let source: Source

    /// 立即 / 30分钟内 / 2小时内 / 30日内
    public var limitDescription: String { Self.describe(minutes: withinMinutes) }

    public static func describe(minutes: Int) -> String {
        if minutes == 0 { return "立即" }
        if minutes > 1440 && minutes % 1440 == 0 { return "\(minutes / 1440)日内" }
        if minutes % 60 == 0 { return "\(minutes / 60)小时内" }
        if minutes > 60 { return "\(minutes / 60)小时\(minutes % 60)分钟内" }
        return "\(minutes)分钟内"
    }
}
