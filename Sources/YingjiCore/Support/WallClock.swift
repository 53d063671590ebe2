import Foundation

/// Where the core gets "now" from. Domain code never calls `Date()`; tests pass a `FixedClock`.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The machine's clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that always answers the same instant, for exact deadline tests.
public struct FixedClock: WallClock {
    public let instant: Date
    public init(_ instant: Date) { self.instant = instant }
    public func now() -> Date { instant }
}

/// ISO-8601 with offset, as the API and CLI read and write times. Times are shown in China time
/// (+08:00), where every plan here applies.
public enum Timestamp {
    public static let chinaTimeZone = TimeZone(secondsFromGMT: 8 * 3600) ?? .current

    /// Parses `2026-03-01T02:10:00+08:00`, `…Z`, or with fractional seconds.
    public static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// `2026-03-01T02:10:00+08:00`
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = chinaTimeZone
        return formatter.string(from: date)
    }

    /// `3月1日 02:10`, for people.
    public static func human(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = chinaTimeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%d年%d月%d日 %02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }
}
