/// A figure of an accident that grading criteria are written against.
public enum Metric: String, CaseIterable, Sendable, Encodable {
    case deaths
    case missing
    case seriousInjuries
    case poisoned
    case directLoss
    case relocated

    /// The word the plans use.
    public var chineseName: String {
        switch self {
        case .deaths: return "死亡"
        case .missing: return "失踪"
        case .seriousInjuries: return "重伤"
        case .poisoned: return "中毒"
        case .directLoss: return "直接经济损失"
        case .relocated: return "转移"
        }
    }

    /// 人 for people, 元 for money.
    public var unit: String { self == .directLoss ? "元" : "人" }

    /// Formats a value of this metric the way a duty officer reads it (人 / 万元 / 亿元).
    public func format(_ value: Int64) -> String {
        self == .directLoss ? Money.format(value) : "\(value)人"
    }
}

/// The figures of one accident as reported: counts of people and the direct loss in yuan.
public struct AccidentFigures: Equatable, Sendable {
    public var values: [Metric: Int64]

    public init(_ values: [Metric: Int64] = [:]) {
        self.values = values
    }

    public subscript(metric: Metric) -> Int64 {
        get { values[metric] ?? 0 }
        set { values[metric] = newValue }
    }
}
