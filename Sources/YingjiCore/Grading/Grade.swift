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
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let number = Int(trimmed) {
            self.init(number)
            return
        }
        let names = ["特别重大": 1, "重大": 2, "较大": 3, "一般": 4]
        if let number = names[trimmed] {
            self.init(number)
        } else if let level = ResponseLevel(parsing: trimmed) {
            self.init(level.number)
        } else {
            return nil
        }
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

    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let number = Int(trimmed) {
            self.init(number)
            return
        }
        let names = ["一级": 1, "二级": 2, "三级": 3, "四级": 4, "Ⅰ级": 1, "Ⅱ级": 2, "Ⅲ级": 3, "Ⅳ级": 4]
        guard let number = names[trimmed] else { return nil }
        self.init(number)
    }
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
