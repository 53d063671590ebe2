import Foundation

// JSON text for JSONValue written and read by hand. Every request body, every answer and every
// timeline hash passes through here; Foundation's JSONEncoder/JSONDecoder took more than half of
// a request's time. The output is byte-for-byte what `JSONEncoder` with `.sortedKeys` and
// `.withoutEscapingSlashes` writes (a test compares the two), so hashes stored before this
// change still verify.

extension JSONValue {
    /// Compact JSON, keys in byte order: the same value always gives the same bytes.
    public var canonicalBytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(into: &output)
        return output
    }

    public func write(into output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: JSONText.null)
        case .bool(let value): output.append(contentsOf: value ? JSONText.true : JSONText.false)
        case .int(let value): JSONText.writeInteger(value, into: &output)
        case .string(let value): JSONText.writeString(value, into: &output)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                item.write(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let fields):
            output.append(UInt8(ascii: "{"))
            // The positions sorted by key, not the pairs: a pair's value is then not copied to sort it.
            var order = Array(fields.indices)
            if order.count <= 16 {
                // A handful of keys (every payload): sorted by insertion, each key looked up once
                // per step; the library's sort took longer than the comparisons themselves.
                for next in order.indices.dropFirst() {
                    let moving = order[next]
                    let key = fields.keys[moving]
                    var slot = next
                    while slot > 0, JSONText.precedes(key, fields.keys[order[slot - 1]]) {
                        order[slot] = order[slot - 1]
                        slot -= 1
                    }
                    order[slot] = moving
                }
            } else {
                order.sort { JSONText.precedes(fields.keys[$0], fields.keys[$1]) }
            }
            for (index, position) in order.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                JSONText.writeString(fields.keys[position], into: &output)
                output.append(UInt8(ascii: ":"))
                fields.values[position].write(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }
}

enum JSONText {
    static let null = Array("null".utf8)
    static let `true` = Array("true".utf8)
    static let `false` = Array("false".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeInteger(_ value: Int64, into output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        writeDigits(value.magnitude, into: &output)
    }

    /// The decimal digits of `value`, least significant last, without a buffer on the heap.
    static func writeDigits(_ value: UInt64, into output: inout [UInt8]) {
        if value < 10 { output.append(UInt8(ascii: "0") + UInt8(value)); return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var magnitude = value
            var start = 20
            while magnitude > 0 {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    /// `value` in exactly `width` digits, zeros in front (`value` must fit).
    static func writePadded(_ value: Int64, width: Int, into output: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            output.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }

    /// Byte order of the UTF-8 text: the order canonical objects list their keys in.
    static func precedes(_ left: String, _ right: String) -> Bool {
        var left = left, right = right
        return left.withUTF8 { a in
            right.withUTF8 { b in
                let common = min(a.count, b.count)
                if common > 0, let pa = a.baseAddress, let pb = b.baseAddress {
                    let order = memcmp(pa, pb, common)
                    if order != 0 { return order < 0 }
                }
                return a.count < b.count
            }
        }
    }

    /// `"` and `\` escaped, control characters as \b \t \n \f \r or \u00XX; the rest as UTF-8.
    static func writeString(_ value: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            // Runs of bytes that need no escape are copied at once; eight bytes at a time are
            // looked at together while none of them needs one.
            var runStart = 0
            var index = 0
            while index < bytes.count {
                if index + 8 <= bytes.count, !mayNeedEscape(UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)) {
                    index += 8
                    continue
                }
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                    index += 1
                    continue
                }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                index += 1
                runStart = index
                output.append(UInt8(ascii: "\\"))
                switch byte {
                case 0x08: output.append(UInt8(ascii: "b"))
                case 0x09: output.append(UInt8(ascii: "t"))
                case 0x0A: output.append(UInt8(ascii: "n"))
                case 0x0C: output.append(UInt8(ascii: "f"))
                case 0x0D: output.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
                default:
                    output.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]])
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        output.append(UInt8(ascii: "\""))
    }

    /// False when none of the eight bytes is below 0x20, `"` or `\\` (true may be wrong, never false).
    @inline(__always)
    private static func mayNeedEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word & highs
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        return (control | ((quote &- ones) & ~quote & highs) | ((backslash &- ones) & ~backslash & highs)) != 0
    }

    /// Lowercase hex of any bytes (digests).
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.withContiguousStorageIfAvailable { hex(UnsafeRawBufferPointer($0)) } ?? Array(bytes).withUnsafeBytes { hex($0) }
    }

    /// Lowercase hex of bytes in memory, written straight into the string's storage.
    static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { output in
            for (index, byte) in bytes.enumerated() {
                output[2 * index] = hexDigits[Int(byte >> 4)]
                output[2 * index + 1] = hexDigits[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }
}

/// Lowercase hex of a digest, without a formatter per byte.
public func hexString(_ bytes: some Sequence<UInt8>) -> String { JSONText.hex(bytes) }

/// Lowercase hex of bytes in memory (a digest's `withUnsafeBytes`).
public func hexString(_ bytes: UnsafeRawBufferPointer) -> String { JSONText.hex(bytes) }

// MARK: - Reading

extension JSONValue {
    /// Why a text is not a JSONValue. `path` names the field (`figures.deaths`, `items.2`) when the
    /// text is JSON but a value is one JSONValue does not hold (a fraction, a number too large).
    public struct ParseError: Error, Equatable, Sendable {
        public enum Kind: Sendable, Equatable { case malformed, unsupportedNumber, tooDeep }
        public let kind: Kind
        public let path: [String]
        public let offset: Int
    }

    /// Nesting deeper than this is refused (as JSONDecoder does) instead of exhausting the stack.
    public static let maximumDepth = 512

    /// Parses one JSON value; whitespace around it is allowed, anything else after it is not.
    public static func parse(_ bytes: some Collection<UInt8>) throws(ParseError) -> JSONValue {
        let array = Array(bytes)
        var reader = JSONReader(bytes: array)
        return try reader.document()
    }

    public static func parse(_ text: String) throws(ParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}

private struct JSONReader {
    let bytes: [UInt8]
    var index = 0
    var path: [String] = []

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() throws(JSONValue.ParseError) -> JSONValue {
        skipWhitespace()
        let value = try self.value(depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw fail(.malformed) }
        return value
    }

    private func fail(_ kind: JSONValue.ParseError.Kind) -> JSONValue.ParseError {
        JSONValue.ParseError(kind: kind, path: kind == .malformed ? [] : path, offset: index)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func literal(_ word: [UInt8], _ value: JSONValue) throws(JSONValue.ParseError) -> JSONValue {
        guard bytes.count - index >= word.count, bytes[index..<index + word.count].elementsEqual(word) else { throw fail(.malformed) }
        index += word.count
        return value
    }

    private mutating func value(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        guard depth < JSONValue.maximumDepth else { throw fail(.tooDeep) }
        guard index < bytes.count else { throw fail(.malformed) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal(JSONText.true, .bool(true))
        case UInt8(ascii: "f"): return try literal(JSONText.false, .bool(false))
        case UInt8(ascii: "n"): return try literal(JSONText.null, .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail(.malformed)
        }
    }

    private mutating func object(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        index += 1
        var fields: [String: JSONValue] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail(.malformed) }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail(.malformed) }
            index += 1
            skipWhitespace()
            path.append(key)
            fields[key] = try value(depth: depth + 1)
            path.removeLast()
            skipWhitespace()
            guard index < bytes.count else { throw fail(.malformed) }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
            throw fail(.malformed)
        }
    }

    private mutating func array(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipWhitespace()
            path.append(String(items.count))
            items.append(try value(depth: depth + 1))
            path.removeLast()
            skipWhitespace()
            guard index < bytes.count else { throw fail(.malformed) }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw fail(.malformed)
        }
    }

    /// Integers only: a fraction or exponent, or a value outside Int64, is JSON that JSONValue
    /// does not hold, reported with its path.
    private mutating func number() throws(JSONValue.ParseError) -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let digitsStart = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        let digitCount = index - digitsStart
        guard digitCount > 0 else { throw fail(.malformed) }
        guard digitCount == 1 || bytes[digitsStart] != UInt8(ascii: "0") else { throw fail(.malformed) }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let fractionStart = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > fractionStart else { throw fail(.malformed) }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let exponentStart = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > exponentStart else { throw fail(.malformed) }
        }
        guard isInteger, let value = Int64(String(decoding: bytes[start..<index], as: UTF8.self)) else {
            throw fail(.unsupportedNumber)
        }
        return .int(value)
    }

    private mutating func string() throws(JSONValue.ParseError) -> String {
        index += 1
        var output: [UInt8] = []
        var runStart = index
        while true {
            guard index < bytes.count else { throw fail(.malformed) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                if output.isEmpty {  // (an escape always adds at least one byte)
                    // No escape in it (most strings): made from the bytes in place, no copy first.
                    guard let text = String(validating: bytes[runStart..<index], as: UTF8.self) else { throw fail(.malformed) }
                    index += 1
                    return text
                }
                output.append(contentsOf: bytes[runStart..<index])
                index += 1
                break
            }
            if byte < 0x20 { throw fail(.malformed) }
            if byte != UInt8(ascii: "\\") { index += 1; continue }
            output.append(contentsOf: bytes[runStart..<index])
            index += 1
            guard index < bytes.count else { throw fail(.malformed) }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escape)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { throw fail(.malformed) }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail(.malformed) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw fail(.malformed)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw fail(.malformed) }
                output.append(contentsOf: Array(String(Character(unicode)).utf8))
            default: throw fail(.malformed)
            }
            runStart = index
        }
        guard let text = String(validating: output, as: UTF8.self) else { throw fail(.malformed) }
        return text
    }

    private mutating func hex4() throws(JSONValue.ParseError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw fail(.malformed) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail(.malformed)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
