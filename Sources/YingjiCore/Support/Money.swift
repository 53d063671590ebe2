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
        var multiplier: Decimal = 1
        if text.hasSuffix("亿") {
            multiplier = 100_000_000
            text.removeLast()
        } else if text.hasSuffix("万") {
            multiplier = 10_000
            text.removeLast()
        }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-") }),
              let number = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw ParseError.notANumber(input)
        }
        if number < 0 { throw ParseError.negative(input) }
        let yuan = number * multiplier
        guard yuan <= Decimal(Int64.max / 2) else { throw ParseError.tooLarge(input) }
        var rounded = Decimal()
        var copy = yuan
        NSDecimalRound(&rounded, &copy, 0, .plain)
        guard rounded == yuan else { throw ParseError.tooPrecise(input) }
        return NSDecimalNumber(decimal: rounded).int64Value
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
