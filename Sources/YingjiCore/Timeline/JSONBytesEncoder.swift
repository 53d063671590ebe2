import Foundation

/// Encodes any Encodable value as JSON bytes in one pass, with no tree in between: what
/// JSONDecoder's default settings read back (dates as seconds since 2001, the Date type's own
/// encoding; Data as base64; nil optionals left out of objects). Keys are written in the order the
/// value encodes them, not sorted: this is for stored rows, not for hashing (that is
/// `JSONValue.canonicalBytes`).
///
/// Containers are written as they are filled. A container is closed when the value that opened
/// it finishes encoding, or when its parent writes its next element; a value may ask for the same
/// keyed (or unkeyed) container more than once and keeps writing into it. A value that writes to
/// a container after moving on from it (Codable allows keeping a nested container for later), or
/// that uses `superEncoder`, cannot be written in one pass: such a value is encoded by JSONEncoder.
public enum JSONBytesEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let state = EncodingState()
        state.output.reserveCapacity(4096)
        try state.encodeValue(value, codingPath: [])
        state.close(above: 0)
        if state.outOfOrder { return Array(try JSONEncoder().encode(value)) }
        return state.output
    }
}

private final class EncodingState {
    enum Kind { case object, array }
    struct Open {
        let kind: Kind
        var empty: Bool
        /// The encoder (by depth) that opened it: asking again at that depth reuses it.
        let depth: Int
        let id: Int
    }

    var output: [UInt8] = []
    /// Open containers, outermost first.
    var open: [Open] = []
    private var opened = 0
    /// Set when a write came to a container that was already closed, or through `superEncoder`:
    /// the output is then not the value, and the caller encodes it another way.
    var outOfOrder = false

    /// Closes every container opened at a depth greater than `depth`.
    func close(above depth: Int) {
        while let last = open.last, last.depth > depth {
            output.append(last.kind == .object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
            open.removeLast()
        }
    }

    /// Before an element of container `id`, opened at `depth`: closes deeper ones, writes the comma.
    func beginElement(in depth: Int, id: Int) {
        close(above: depth)
        guard let last = open.last, last.id == id else {
            outOfOrder = true
            return
        }
        if open[open.count - 1].empty {
            open[open.count - 1].empty = false
        } else {
            output.append(UInt8(ascii: ","))
        }
    }

    /// The id of the container of `kind` at `depth`: the one already open there, or a new one.
    func openContainer(_ kind: Kind, depth: Int) -> Int {
        close(above: depth)
        if let last = open.last, last.depth == depth {
            if last.kind == kind { return last.id }
            outOfOrder = true  // an object and an array for one value
        }
        output.append(kind == .object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        opened += 1
        open.append(Open(kind: kind, empty: true, depth: depth, id: opened))
        return opened
    }

    func writeKey(_ key: String) {
        JSONText.writeString(key, into: &output)
        output.append(UInt8(ascii: ":"))
    }

    /// The shortest text that reads back as the same number (`2` for 2.0, as JSONEncoder writes it).
    func writeNumber<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F, codingPath: [any CodingKey]) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "JSON 不能表示 \(value)"))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        output.append(contentsOf: text.utf8)
    }

    /// One whole value at `codingPath.count + 1`; what it opens is closed when it returns.
    func encodeValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        switch value {
        case let text as String: JSONText.writeString(text, into: &output)
        case let number as Int: JSONText.writeInteger(Int64(number), into: &output)
        case let number as Int64: JSONText.writeInteger(number, into: &output)
        case let flag as Bool: output.append(contentsOf: flag ? JSONText.true : JSONText.false)
        case let number as Double: try writeNumber(number, codingPath: codingPath)
        case let date as Date: try writeNumber(date.timeIntervalSinceReferenceDate, codingPath: codingPath)
        case let data as Data: JSONText.writeString(data.base64EncodedString(), into: &output)
        case let number as Float: try writeNumber(number, codingPath: codingPath)
        // The other integer types encode themselves through a single-value container; written here
        // they do not come back to this function.
        case let number as any FixedWidthInteger: output.append(contentsOf: String(describing: number).utf8)
        // As JSONEncoder writes them (and JSONDecoder reads them): a URL as its text, a Decimal as a number.
        case let url as URL: JSONText.writeString(url.absoluteString, into: &output)
        case let number as Decimal: output.append(contentsOf: number.description.utf8)
        default:
            let depth = codingPath.count + 1
            let encoder = StreamingEncoder(state: self, codingPath: codingPath, depth: depth)
            let before = output.count
            let openBefore = open.count
            try value.encode(to: encoder)
            // A value that wrote nothing at all is an empty object, as JSONEncoder writes it.
            if output.count == before && open.count == openBefore { output.append(contentsOf: "{}".utf8) }
            close(above: depth - 1)
        }
    }
}

private struct StreamingEncoder: Encoder {
    let state: EncodingState
    let codingPath: [any CodingKey]
    let depth: Int
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let id = state.openContainer(.object, depth: depth)
        return KeyedEncodingContainer(StreamingKeyed<Key>(state: state, codingPath: codingPath, depth: depth, id: id))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let id = state.openContainer(.array, depth: depth)
        return StreamingUnkeyed(state: state, codingPath: codingPath, depth: depth, id: id)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        StreamingSingle(state: state, codingPath: codingPath)
    }
}

private struct StreamingKeyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let state: EncodingState
    let codingPath: [any CodingKey]
    let depth: Int
    let id: Int

    private func begin(_ key: Key) {
        state.beginElement(in: depth, id: id)
        state.writeKey(key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws {
        begin(key)
        state.output.append(contentsOf: JSONText.null)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        begin(key)
        try state.encodeValue(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        begin(key)
        return StreamingEncoder(state: state, codingPath: codingPath + [key], depth: depth + 1).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        begin(key)
        return StreamingEncoder(state: state, codingPath: codingPath + [key], depth: depth + 1).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        state.outOfOrder = true
        return StreamingEncoder(state: state, codingPath: codingPath, depth: depth + 1)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        state.outOfOrder = true
        return StreamingEncoder(state: state, codingPath: codingPath + [key], depth: depth + 1)
    }
}

private struct StreamingUnkeyed: UnkeyedEncodingContainer {
    let state: EncodingState
    let codingPath: [any CodingKey]
    let depth: Int
    let id: Int
    private(set) var count = 0

    init(state: EncodingState, codingPath: [any CodingKey], depth: Int, id: Int) {
        self.state = state
        self.codingPath = codingPath
        self.depth = depth
        self.id = id
    }

    private mutating func begin() -> [any CodingKey] {
        state.beginElement(in: depth, id: id)
        count += 1
        return codingPath + [IndexKey(intValue: count - 1)]
    }

    mutating func encodeNil() throws {
        _ = begin()
        state.output.append(contentsOf: JSONText.null)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = begin()
        try state.encodeValue(value, codingPath: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = begin()
        return StreamingEncoder(state: state, codingPath: path, depth: depth + 1).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = begin()
        return StreamingEncoder(state: state, codingPath: path, depth: depth + 1).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        state.outOfOrder = true
        return StreamingEncoder(state: state, codingPath: codingPath, depth: depth + 1)
    }
}

private struct StreamingSingle: SingleValueEncodingContainer {
    let state: EncodingState
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { state.output.append(contentsOf: JSONText.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        // The value stands in for its wrapper: it is written at the wrapper's depth.
        try state.encodeValue(value, codingPath: codingPath)
    }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}
