/// 暂停救援与响应终止 — when rescue may be suspended and when on-site work ends.
public struct Termination: Sendable, Encodable {
    /// All of these must hold, each confirmed, before on-site work ends.
    public let conditions: [TerminationCondition]
    public let confirmedBy: String?
    public let suspension: PolicyText?
    public let source: Source
}

public struct TerminationCondition: Sendable, Encodable {
    public let id: String
    public let text: String
}

/// 后期处置 — aftermath, summary evaluation, archives and investigation.
public struct Aftermath: Sendable, Encodable {
    public let items: [ActionItem]
    public let itemsSource: Source?
    /// 总结评估 report: sections and to whom it goes (Kunyu 6.2).
    public let summarySections: [String]
    public let summarySubmittedTo: String?
    public let summarySource: Source?
    /// 档案管理
    public let archive: PolicyText?
    /// 事故调查 by grade.
    public let investigation: [InvestigationRule]
}

public struct InvestigationRule: Sendable, Encodable {
    public let grades: [Grade]
    public let by: String
    public let source: Source
}

/// 预案管理 — filing, evaluation, drills and revision.
public struct PlanManagement: Sendable, Encodable {
    public let filing: FilingRule?
    public let evaluationEveryYears: Int?
    public let evaluationSource: Source?
    public let drills: [DrillRule]
    public let revisionTriggers: [String]
    public let revisionSource: Source?
}

/// 备案 — file a plan with a body within some working days of issue.
public struct FilingRule: Sendable, Encodable {
    public let withinWorkingDays: Int
    public let who: String
    public let to: String
    public let source: Source
}

/// 演练 — who must drill, how often, and whom they report to.
public struct DrillRule: Sendable, Encodable {
    public let who: String
    public let everyMonths: Int
    public let what: String?
    public let reportTo: String?
    public let source: Source
}
