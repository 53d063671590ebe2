import Foundation

/// Money amounts as written in plans and by duty officers: `12000000`, `1200万`, `1.2亿`, `1,200万元`.
public enum Money {
    public enum ParseError: Error, Equatable {
        case empty
        case notANumber(String)
        case negative(String)
        case tooPrecise(String)
        case tooLarge(String)
    }

    /// Parses an amount into whole yuan. Fractions of a yuan are refused rather than rounded.
    public static func parse(_ input: String) throws -> Int64 {
        var text = input.trimmingCharacters(in: .whitespaces)
        text = text.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "，", with: "")
        guard !text.isEmpty else { throw ParseError.empty }
        if text.hasSuffix("元") { text.removeLast() }
        var multiplier: Int64 = 1
        if text.hasSuffix("亿") {
            multiplier = 100_000_000
            text.removeLast()
        } else if text.hasSuffix("万") {
            multiplier = 10_000
            text.removeLast()
        }
        // Read digit by digit, not with `Decimal(string:locale:)`: that builds an ICU number
        // formatter for its locale on every call, about a millisecond for each amount in a plan file.
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        var fraction = parts.count > 1 ? parts[1] : ""
        guard whole.count + fraction.count > 0, (whole + fraction).allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ParseError.notANumber(input)
        }
        while fraction.last == "0" { fraction.removeLast() }
        if negative && (whole.contains { $0 != "0" } || !fraction.isEmpty) { throw ParseError.negative(input) }
        let limit = Int64.max / 2
        var yuan: Int64 = 0
        for digit in whole.utf8 {
            let (tens, overflow) = yuan.multipliedReportingOverflow(by: 10)
            guard !overflow, tens <= limit else { throw ParseError.tooLarge(input) }
            yuan = tens + Int64(digit - UInt8(ascii: "0"))
        }
        let (scaled, overflow) = yuan.multipliedReportingOverflow(by: multiplier)
        guard !overflow, scaled <= limit else { throw ParseError.tooLarge(input) }
        // A fraction is exact only when the unit makes it whole: at most 8 places (亿), 4 (万), none (元).
        var places = 0, unit = multiplier
        while unit > 1 { unit /= 10; places += 1 }
        guard fraction.count <= places else { throw ParseError.tooPrecise(input) }
        var part: Int64 = 0
        for digit in fraction.utf8 { part = part * 10 + Int64(digit - UInt8(ascii: "0")) }
        for _ in fraction.count..<places { part *= 10 }
        guard scaled <= limit - part else { throw ParseError.tooLarge(input) }
        return scaled + part
    }

    /// 1亿元, 5000万元, 1.2亿元, 350元 — the largest unit that keeps the amount exact within 4 decimals.
    public static func format(_ yuan: Int64) -> String {
        if yuan >= 100_000_000 { return "\(trim(Decimal(yuan) / 100_000_000))亿元" }
        if yuan >= 10_000 { return "\(trim(Decimal(yuan) / 10_000))万元" }
        return "\(yuan)元"
    }

    private static func trim(_ value: Decimal) -> String {
        NSDecimalNumber(decimal: value).stringValue
    }
}
