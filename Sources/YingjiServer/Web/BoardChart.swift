import Foundation
import YingjiCore
import YingjiStore

/// The board's charts, drawn on the server as SVG (no script, readable when printed): incidents
/// per day by grade over the last days, and incidents by category over the same days.
struct BoardChart {
    /// How many incidents of one grade and category became known on one day.
    struct Point {
        /// `day(_:)` of when they became known.
        let day: Int
        let grade: Int?
        let category: String
        let count: Int
    }

    /// China time, where the charts' days begin.
    static let utcOffset = 8 * 3600

    static let days = 14
    static let gradeColours = ["#b3261e", "#c25e00", "#8a6d00", "#1d5fb8"]
    static let noGradeColour = "#8a96a3"

    let points: [Point]
    let today: Date

    /// The China-time day index of a time (days since 1970-01-01 in +08:00).
    static func day(_ date: Date) -> Int {
        IncidentChartCount.day(date, utcOffset: utcOffset)
    }

    var window: ClosedRange<Int> { (Self.day(today) - Self.days + 1)...Self.day(today) }

    /// The start (00:00 China time) of the first day the charts show.
    static func firstDay(today: Date) -> Date {
        Date(timeIntervalSince1970: Double(day(today) - days + 1) * 86_400 - Double(utcOffset))
    }

    /// Stacked bars, one per day, a band per grade; each bar has a title with its counts.
    func byGrade(title: String, gradeNames: [String], noGrade: String) -> String {
        let range = window
        var counts = Array(repeating: Array(repeating: 0, count: 5), count: Self.days)
        for point in points where range.contains(point.day) {
            counts[point.day - range.lowerBound][min(max(point.grade ?? 5, 1), 5) - 1] += point.count
        }
        let highest = max(1, counts.map { $0.reduce(0, +) }.max() ?? 1)
        let width = 560, height = 180, left = 28, bottom = 24, barWidth = 28, gap = 10
        var svg = Self.open(width: width, height: height, title: title)
        for tick in [0, highest] {
            let y = height - bottom - (height - bottom - 12) * tick / highest
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\" class=\"axis\">\(tick)</text>"
        }
        for (index, dayCounts) in counts.enumerated() {
            let x = left + index * (barWidth + gap) + gap / 2
            var y = height - bottom
            let names = zip(gradeNames + [noGrade], dayCounts).filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }
            let label = Self.label(range.lowerBound + index)
            svg += "<g><title>\(Self.escape(label))：\(Self.escape(names.isEmpty ? "0" : names.joined(separator: "，")))</title>"
            for (grade, count) in dayCounts.enumerated() where count > 0 {
                let h = (height - bottom - 12) * count / highest
                y -= h
                let colour = grade < 4 ? Self.gradeColours[grade] : Self.noGradeColour
                svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(barWidth)\" height=\"\(h)\" fill=\"\(colour)\" data-grade=\"\(grade + 1)\" data-count=\"\(count)\"/>"
            }
            svg += "</g>"
            if index % 2 == 1 || index == Self.days - 1 {
                svg += "<text x=\"\(x + barWidth / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\" class=\"axis\">\(label)</text>"
            }
        }
        return svg + "</svg>"
    }

    /// Horizontal bars: how many incidents of each category in the window, most first.
    func byCategory(title: String) -> String {
        let range = window
        var counts: [String: Int] = [:]
        for point in points where range.contains(point.day) { counts[point.category, default: 0] += point.count }
        let rows = counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(8)
        let highest = max(1, rows.first?.value ?? 1)
        let width = 360, rowHeight = 22, left = 120
        let height = max(1, rows.count) * rowHeight + 8
        var svg = Self.open(width: width, height: height, title: title)
        for (index, row) in rows.enumerated() {
            let y = 4 + index * rowHeight
            let length = max(2, (width - left - 40) * row.value / highest)
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 15)\" text-anchor=\"end\" class=\"axis\">\(Self.escape(row.key))</text>"
            svg += "<rect x=\"\(left)\" y=\"\(y + 3)\" width=\"\(length)\" height=\"\(rowHeight - 8)\" fill=\"#14213d\" data-category=\"\(Self.escape(row.key))\" data-count=\"\(row.value)\"/>"
            svg += "<text x=\"\(left + length + 6)\" y=\"\(y + 15)\" class=\"axis\">\(row.value)</text>"
        }
        return svg + "</svg>"
    }

    private static func open(width: Int, height: Int, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"\(escape(title))\"><title>\(escape(title))</title>"
    }

    /// `03-01` for a day index.
    static func label(_ day: Int) -> String {
        let text = Timestamp.format(Date(timeIntervalSince1970: TimeInterval(day) * 86_400))
        return String(text.dropFirst(5).prefix(5))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
