import Foundation

/// 事故等级 — an accident grade. 1 is the most severe (特别重大), 4 the least (一般).
public struct Grade: Hashable, Sendable, CustomStringConvertible {
    public let number: Int

    public init?(_ number: Int) {
        guard (1...4).contains(number) else { return nil }
        self.number = number
    }

    public static let all: [Grade] = (1...4).compactMap(Grade.init)

    /// 特别重大 / 重大 / 较大 / 一般
    public var chineseName: String { ["特别重大", "重大", "较大", "一般"][number - 1] }

    /// True when `self` is at least as severe as `other` (grade 2 is at least as severe as 3).
    public func isAtLeast(_ other: Grade) -> Bool { number <= other.number }

    public var description: String { chineseName }

    /// Accepts 1–4, 特别重大/重大/较大/一般, or 一级…四级.
    public init?(parsing text: String) {
        let names = ["特别重大": 1, "重大": 2, "较大": 3, "一般": 4].merging(ResponseLevel.names) { first, _ in first }
        guard let number = ordinal(text, names: names) else { return nil }
        self.init(number)
    }
}

/// 响应等级 — a response level. 1 (一级/Ⅰ级) is the highest.
public struct ResponseLevel: Hashable, Sendable, CustomStringConvertible {
    public let number: Int

    public init?(_ number: Int) {
        guard (1...4).contains(number) else { return nil }
        self.number = number
    }

    /// 一级 / 二级 / 三级 / 四级
    public var chineseName: String { ["一级", "二级", "三级", "四级"][number - 1] }
    /// Ⅰ级 / Ⅱ级 / Ⅲ级 / Ⅳ级, as some plans write it.
    public var romanName: String { ["Ⅰ级", "Ⅱ级", "Ⅲ级", "Ⅳ级"][number - 1] }

    public var description: String { chineseName }

    static let names = ["一级": 1, "二级": 2, "三级": 3, "四级": 4, "Ⅰ级": 1, "Ⅱ级": 2, "Ⅲ级": 3, "Ⅳ级": 4]

    /// Accepts 1–4, 一级…四级 or Ⅰ级…Ⅳ级.
    public init?(parsing text: String) {
        guard let number = ordinal(text, names: Self.names) else { return nil }
        self.init(number)
    }
}

/// A number written as digits or as one of the plans' names for it.
private func ordinal(_ text: String, names: [String: Int]) -> Int? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    return Int(trimmed) ?? names[trimmed]
}

extension Grade: Encodable {
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(number)
    }
}

extension ResponseLevel: Encodable {
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(number)
    }
}
