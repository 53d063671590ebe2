import Foundation

/// 初报 / 续报 / 补报
public enum ReportKind: String, Sendable, Codable, CaseIterable {
    /// 初报 — the first report, which opens the incident.
    case initial
    /// 续报 — a follow-up as the situation changes.
    case followUp
    /// 补报 — a late change in casualties (条例第十三条).
    case late

    public var chineseName: String {
        switch self {
        case .initial: return "初报"
        case .followUp: return "续报"
        case .late: return "补报"
        }
    }
}

/// A report as received and kept: nothing is overwritten, the incident's figures are the latest.
public struct Report: Sendable, Codable, Equatable {
    public let id: String
    public let kind: ReportKind
    public let receivedAt: Date
    public let actor: String
    /// Text fields by the plan's field ids (unit, place, course …).
    public let fields: [String: String]
    /// Only the figures this report gave.
    public let figures: AccidentFigures
    public let category: String?
    public let occurredAt: Date?
}

/// A report as submitted, before validation.
public struct ReportDraft: Sendable {
    public var kind: ReportKind
    public var fields: [String: String]
    public var figures: [Metric: Int64]
    public var category: String?
    public var occurredAt: Date?

    public init(kind: ReportKind, fields: [String: String] = [:], figures: [Metric: Int64] = [:], category: String? = nil, occurredAt: Date? = nil) {
        self.kind = kind
        self.fields = fields
        self.figures = figures
        self.category = category
        self.occurredAt = occurredAt
    }
}

extension Plan {
    /// How far ahead of the server's clock a reported time may lie (clock skew between devices).
    public static let allowedClockSkew: TimeInterval = 5 * 60

    /// Checks a report against what the plan requires and returns the category id it names.
    /// Throws one error naming the first field at fault; `problems` lists them all.
    public func validate(_ draft: ReportDraft, now: Date) throws -> String? {
        if let problem = problems(in: draft, now: now).first { throw problem }
        return draft.category.flatMap { category(named: $0)?.id }
    }

    /// Every problem with a report, in the order of the plan's form.
    public func problems(in draft: ReportDraft, now: Date) -> [IncidentError] {
        var problems: [IncidentError] = []
        let required = draft.kind == .initial ? reporting.initialReportFields : []
        for field in required where field.required && !draft.provides(field.id) {
            problems.append(IncidentError(.invalid, "report.missing_field", "缺少「\(field.name)」（\(reporting.initialReportSource?.clause ?? "")）", field: field.id))
        }
        let known: (String) -> Bool = { key in
            self.reporting.initialReportFields.contains { $0.id == key } || self.reporting.followUpFields.contains { $0.id == key }
        }
        for key in draft.fields.keys.sorted() where !known(key) {
            problems.append(IncidentError(.invalid, "report.unknown_field", "预案的报告内容中没有字段「\(key)」", field: key))
        }
        for (metric, value) in draft.figures.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where value < 0 {
            problems.append(IncidentError(.invalid, "report.negative", "\(metric.chineseName)不能为负数", field: metric.rawValue))
        }
        if let name = draft.category, category(named: name) == nil {
            problems.append(IncidentError(.invalid, "report.unknown_category", "预案中没有事故类别「\(name)」", field: "category"))
        }
        if let occurred = draft.occurredAt, occurred > now.addingTimeInterval(Self.allowedClockSkew) {
            problems.append(IncidentError(.invalid, "report.future_time", "事故发生时间不能晚于现在", field: "occurredAt"))
        }
        if draft.kind == .late && draft.figures.isEmpty {
            problems.append(IncidentError(.invalid, "report.late_without_figures", "补报须填写变化后的伤亡人数", field: "figures"))
        }
        return problems
    }
}

extension ReportDraft {
    /// Whether the draft gives a value for a plan field id (figures and times count by their id).
    func provides(_ id: String) -> Bool {
        if let metric = Metric(rawValue: id) { return figures[metric] != nil }
        switch id {
        case "occurredAt": return occurredAt != nil
        case "category": return category != nil
        default: return !(fields[id]?.isBlank ?? true)
        }
    }
}
