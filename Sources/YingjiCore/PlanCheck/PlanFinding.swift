/// Something `plan check` found in a plan.
public struct PlanFinding: Sendable, Equatable {
    public enum Severity: String, Sendable {
        /// The plan is wrong or incomplete as data: a reference to nothing, a rule without its clause.
        case error
        /// The plan's own text leaves a hole or a conflict (a range that matches no grade, or two).
        case warning

        public var chineseName: String { self == .error ? "错误" : "警告" }
    }

    public let severity: Severity
    /// Stable code, e.g. `grading.gap`, `ref.unknown-role`.
    public let code: String
    public let message: String
    /// For grading gaps and overlaps: the metric, the range `[low, high)` and the category condition.
    public let range: ValueRange?

    init(_ severity: Severity, _ code: String, _ message: String, range: ValueRange? = nil) {
        self.severity = severity
        self.code = code
        self.message = message
        self.range = range
    }
}

/// A range of one metric's values, `[low, high)`; `high == nil` means "and above".
public struct ValueRange: Sendable, Equatable {
    public let metric: Metric
    public let low: Int64
    public let high: Int64?
    /// The category condition the range was checked under; empty for every accident.
    public let categories: [String]
    /// The grades that match in the range (empty for a gap).
    public let grades: [Int]

    /// `≥ 100人` or `1人 – 99人`, in the metric's units.
    public var description: String {
        guard let high else { return "≥ \(metric.format(low))" }
        if metric == .directLoss { return "\(metric.format(low)) ≤ 损失 < \(metric.format(high))" }
        return high - 1 == low ? metric.format(low) : "\(metric.format(low))–\(metric.format(high - 1))"
    }
}
