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

/// The fast reading of the common shape must agree with ISO8601DateFormatter on every input.
@Suite struct TimestampParseTests {
    private func reference(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return plain.date(from: text)
    }

    @Test func commonShapeMatchesTheFormatter() {
        var generator = SystemRandomNumberGenerator()
        var texts: [String] = []
        for _ in 0..<3_000 {
            let date = Date(timeIntervalSince1970: Double(generator.next(upperBound: UInt64(4_102_444_800))))
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            let offset = Int(generator.next(upperBound: UInt64(27))) - 12
            formatter.timeZone = TimeZone(secondsFromGMT: offset * 3600 + (offset % 2 == 0 ? 0 : 1800))
            texts.append(formatter.string(from: date))
        }
        for text in texts {
            #expect(Timestamp.parse(text) == reference(text), "\(text)")
        }
        #expect(Timestamp.parse("2026-03-01T02:10:00+08:00")?.timeIntervalSince1970 == 1_772_302_200)
        #expect(Timestamp.parse("2026-02-28T18:10:00Z")?.timeIntervalSince1970 == 1_772_302_200)
        #expect(Timestamp.parse("1969-12-31T23:59:59Z")?.timeIntervalSince1970 == -1)
    }

    @Test func datesThatDoNotExistAreRefusedNotRolledOver() {
        for text in ["2026-02-29T10:00:00+08:00", "2100-02-29T10:00:00Z", "2026-13-01T10:00:00+08:00", "2026-04-31T10:00:00Z", "2026-00-10T10:00:00Z",
                     "2026-03-00T10:00:00Z", "2026-03-01T24:00:00+08:00", "2026-03-01T10:60:00+08:00", "2026-03-01T10:00:60Z", "2026-03-01T10:00:00+15:00"] {
            #expect(Timestamp.parse(text) == nil, "\(text)")
        }
        #expect(Timestamp.parse("2024-02-29T10:00:00+08:00")?.timeIntervalSince1970 == 1_709_172_000)
        #expect(Timestamp.parse("2000-02-29T00:00:00Z")?.timeIntervalSince1970 == 951_782_400)
    }

    @Test func otherShapesAreAnsweredAsTheFormatterAnswers() {
        let texts = ["2024-02-29T10:00:00+08:00", "2026-03-01 10:00:00+08:00", "2026-03-01T10:00:00",
                     "2026-03-01T10:00:00.250+08:00", "2026-03-01T10:00:00+0800", "2026-03-01t10:00:00z", "２０２６-03-01T10:00:00Z",
                     "2026-03-01T10:00:00+08:30", "2026-03-01T10:00:00-05:00", "", "yesterday"]
        for text in texts {
            #expect(Timestamp.parse(text) == reference(text) ?? {
                let fractional = ISO8601DateFormatter()
                fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                return fractional.date(from: text)
            }(), "\(text)")
        }
        #expect(Timestamp.parse("2026-03-01T10:00:00.250+08:00")?.timeIntervalSince1970 == 1_772_330_400.25)
    }
}
