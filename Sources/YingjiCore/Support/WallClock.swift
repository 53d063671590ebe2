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

/// The machine's clock moved by an offset that can be advanced while the server runs: the test
/// clock of `yingji serve --demo --test-clock`, so browser tests can watch a deadline pass
/// without waiting an hour. Never used outside a demo database.
public final class AdjustableClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var offset: TimeInterval = 0

    public init() {}

    public func now() -> Date { Date().addingTimeInterval(lock.withLock { offset }) }

    /// Moves the clock forward by `seconds` (never back: recorded times stay in order).
    public func advance(by seconds: TimeInterval) {
        lock.withLock { offset += max(0, seconds) }
    }
}

/// ISO-8601 with offset, as the API and CLI read and write times. Times are shown in China time
/// (+08:00), where every plan here applies.
public enum Timestamp {
    public static let chinaTimeZone = TimeZone(secondsFromGMT: 8 * 3600) ?? .current

    /// Parses `2026-03-01T02:10:00+08:00`, `…Z`, or with fractional seconds.
    public static func parse(_ text: String) -> Date? {
        switch parseCommon(text) {
        case .date(let date): return date
        case .impossible: return nil
        case .otherShape: break
        }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// The common shape, `YYYY-MM-DDTHH:MM:SS` then `Z` or `±HH:MM`, read by arithmetic (a
    /// formatter per call cost a tenth of a request). Anything else, fractions included, is left
    /// to ISO8601DateFormatter. A date that does not exist (2026-02-29, 24:00, month 13) is
    /// refused here; the formatter would roll it over into another day, which no one means.
    enum CommonShape { case date(Date), impossible, otherShape }

    static func parseCommon(_ text: String) -> CommonShape {
        let bytes = Array(text.utf8)
        guard bytes.count == 20 || bytes.count == 25 else { return .otherShape }
        func number(_ start: Int, _ length: Int) -> Int64? {
            var value: Int64 = 0
            for index in start..<start + length {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else { return .otherShape }
        var offset: Int64 = 0
        if bytes.count == 20 {
            guard bytes[19] == UInt8(ascii: "Z") else { return .otherShape }
        } else {
            guard bytes[19] == UInt8(ascii: "+") || bytes[19] == UInt8(ascii: "-"), bytes[22] == UInt8(ascii: ":"),
                  let offsetHours = number(20, 2), let offsetMinutes = number(23, 2) else { return .otherShape }
            guard offsetHours < 15, offsetMinutes < 60 else { return .impossible }
            offset = (offsetHours * 3600 + offsetMinutes * 60) * (bytes[19] == UInt8(ascii: "-") ? -1 : 1)
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard year >= 1, (1...12).contains(month), day >= 1, day <= monthDays[Int(month - 1)],
              hour < 24, minute < 60, second < 60 else { return .impossible }
        // Days since 1970-01-01 from the civil date (H. Hinnant's algorithm, the inverse of format).
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return .date(Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// `2026-03-01T02:10:00+08:00`, whole seconds (a fraction is dropped, as ISO8601DateFormatter
    /// does). Computed by arithmetic: it runs for every time in every answer and every timeline
    /// hash, and a formatter per call cost more than the rest of a request.
    public static func format(_ date: Date) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(25)
        write(date, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// `format(date)` appended to `output` as UTF-8, for writers that build JSON as bytes.
    static func write(_ date: Date, into output: inout [UInt8]) {
        let seconds = Int64((date.timeIntervalSince1970).rounded(.down)) + 8 * 3600
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        if year < 0 || year > 9999 {
            // Outside four digits: String(year), zeros in front up to four characters (as before).
            let text = String(year)
            output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: max(0, 4 - text.utf8.count)))
            output.append(contentsOf: text.utf8)
        } else {
            JSONText.writePadded(year, width: 4, into: &output)
        }
        output.append(UInt8(ascii: "-"))
        JSONText.writePadded(month, width: 2, into: &output)
        output.append(UInt8(ascii: "-"))
        JSONText.writePadded(day, width: 2, into: &output)
        output.append(UInt8(ascii: "T"))
        JSONText.writePadded(secondOfDay / 3600, width: 2, into: &output)
        output.append(UInt8(ascii: ":"))
        JSONText.writePadded(secondOfDay / 60 % 60, width: 2, into: &output)
        output.append(UInt8(ascii: ":"))
        JSONText.writePadded(secondOfDay % 60, width: 2, into: &output)
        output.append(contentsOf: "+08:00".utf8)
    }

    /// `3月1日 02:10`, for people.
    public static func human(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = chinaTimeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%d年%d月%d日 %02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }
}
