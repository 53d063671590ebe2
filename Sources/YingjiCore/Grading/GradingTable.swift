/// 事故分级标准 — the plan's grade table.
public struct GradingTable: Sendable, Encodable {
    public let rules: [GradeRule]
    public let source: Source
    /// The plan's note on counting (以上含本数，以下不含本数).
    public let note: String?

    public func rule(for grade: Grade) -> GradeRule? { rules.first { $0.grade == grade } }
}

/// The criteria of one grade; any one of them matching is enough (the plans join them with 或).
public struct GradeRule: Sendable, Encodable {
    public let grade: Grade
    public let criteria: [GradeCriterion]
    public let source: Source
}

/// One criterion: a metric in a half-open range `[min, max)`, optionally only for some categories.
public struct GradeCriterion: Sendable, Encodable {
    public let metric: Metric
    /// Other metrics counted into this one: 死亡（含失踪） adds `missing`; 重伤（包括急性工业中毒） adds `poisoned`.
    public let includes: [Metric]
    /// Inclusive lower bound (以上 includes the number).
    public let min: Int64?
    /// Exclusive upper bound (以下 excludes the number).
    public let max: Int64?
    /// The criterion applies only to accidents in one of these categories (or below them).
    public let categories: [String]
    /// The plan's own words for this criterion.
    public let text: String?
    public let source: Source

    /// Whether missing people are counted as dead for this criterion (Lhasa: 死亡（含失踪）).
    public var countsMissingAsDead: Bool { metric == .deaths && includes.contains(.missing) }

    /// The value this criterion compares: the metric plus what it includes.
    public func value(of figures: AccidentFigures) -> Int64 {
        includes.reduce(figures[metric]) { total, included in
            let (sum, overflow) = total.addingReportingOverflow(figures[included])
            return overflow ? Int64.max : sum
        }
    }

    public func contains(_ value: Int64) -> Bool {
        if let min, value < min { return false }
        if let max, value >= max { return false }
        return true
    }

    /// 3人以上10人以下死亡（含失踪） — the range in the plans' own idiom.
    public var rangeDescription: String {
        let low = min.map { "\(metric.format($0))以上" } ?? ""
        let high = max.map { "\(metric.format($0))以下" } ?? ""
        let joiner = (!low.isEmpty && !high.isEmpty) ? "、" : ""
        var text = "\(metric.chineseName) \(low)\(joiner)\(high)"
        if !includes.isEmpty { text += "（含\(includes.map(\.chineseName).joined(separator: "、"))）" }
        return text
    }
}
