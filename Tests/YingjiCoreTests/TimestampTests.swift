import Foundation
import Testing
import YingjiCore

/// The hand-written formatter must give exactly what ISO8601DateFormatter gives: every stored
/// timeline hash covers these strings.
@Suite struct TimestampTests {
    @Test func formatMatchesISO8601DateFormatterToTheCharacter() {
        let reference = ISO8601DateFormatter()
        reference.formatOptions = [.withInternetDateTime]
        reference.timeZone = Timestamp.chinaTimeZone
        var generator = SystemRandomNumberGenerator()
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -1), Date(timeIntervalSince1970: 951_782_400),
                     Date(timeIntervalSince1970: 4_107_542_399.999), Timestamp.parse("2026-03-01T02:10:00+08:00")!.addingTimeInterval(0.9)]
        for _ in 0..<5_000 {
            dates.append(Date(timeIntervalSince1970: Double(generator.next(upperBound: UInt64(4_102_444_800))) + Double(generator.next(upperBound: UInt64(1000))) / 1000))
        }
        for date in dates {
            #expect(Timestamp.format(date) == reference.string(from: date), "\(date.timeIntervalSince1970)")
        }
        #expect(Timestamp.format(Timestamp.parse("2024-02-29T23:59:59+08:00")!) == "2024-02-29T23:59:59+08:00")
    }
}
