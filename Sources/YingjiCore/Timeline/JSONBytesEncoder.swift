import Foundation

/// Encodes any Encodable value as JSON bytes in one pass, with no tree in between: what
/// JSONDecoder's default settings read back (dates as seconds since 2001, the Date type's own
/// encoding, or with `.timestamp` as the API shows them; Data as base64; nil optionals left out of
/// objects; a JSONValue inside written canonically). Keys are written in the order the value
/// encodes them, not sorted: this is for stored rows and answers, not for hashing (that is
/// `JSONValue.canonicalBytes`).
///
/// Containers are written as they are filled. A container is closed when the value that opened
/// it finishes encoding, or when its parent writes its next element; a value may ask for the same
/// keyed (or unkeyed) container more than once and keeps writing into it. A value that writes to
/// a container after moving on from it (Codable allows keeping a nested container for later), or
/// that uses `superEncoder`, cannot be written in one pass: such a value is encoded by JSONEncoder.
public enum JSONBytesEncoder {
    /// How a `Date` is written.
    public enum Dates: Sendable {
        /// Seconds since 2001 as a number: what JSONDecoder's default reads back (stored rows).
        case referenceSeconds
        /// `2026-03-01T02:10:00+08:00`, whole seconds, as the API shows times (`Timestamp.format`).
        case timestamp
    }

    public static func encode<T: Encodable>(_ value: T, dates: Dates = .referenceSeconds) throws -> [UInt8] {
        let state = EncodingState(dates: dates)
        guard try write(value, with: state) else { return try fallback(value, dates: dates) }
        return state.output
    }

    /// The value as stored (`encode(value)`), with where each date was written: its timestamped
    /// form (`encode(value, dates: .timestamp)`) is then `withTimestamps()`, not another pass.
    public static func encodeDated<T: Encodable>(_ value: T) throws -> DatedJSON {
        try encodeDatedThroughCodable(value)
    }

    /// `encodeDated` for a value that writes its own fields (`JSONRowWritable`): the same bytes
    /// and date spans, without going through Codable's containers for the parts it writes itself.
    static func encodeDated<T: JSONRowWritable>(_ value: T) throws -> DatedJSON {
        let state = EncodingState(dates: .referenceSeconds)
        state.dateSpans = []
        state.output.reserveCapacity(4096)
        try JSONFields.write(value, to: state)
        guard !state.outOfOrder else { return try encodeDatedThroughCodable(value) }
        return DatedJSON(bytes: state.output, spans: state.dateSpans ?? [], timestamped: nil)
    }

    /// `encodeDated` through the value's `encode(to:)` only (what the direct writers are held equal to).
    static func encodeDatedThroughCodable<T: Encodable>(_ value: T) throws -> DatedJSON {
        let state = EncodingState(dates: .referenceSeconds)
        state.dateSpans = []
        guard try write(value, with: state) else {
            return DatedJSON(bytes: try fallback(value, dates: .referenceSeconds), spans: [], timestamped: try fallback(value, dates: .timestamp))
        }
        return DatedJSON(bytes: state.output, spans: state.dateSpans ?? [], timestamped: nil)
    }

    /// Writes the value in one pass; false when it could not be (see the type's comment).
    private static func write<T: Encodable>(_ value: T, with state: EncodingState) throws -> Bool {
        state.output.reserveCapacity(4096)
        try state.encodeValue(value, depth: 1)
        state.close(above: 0)
        return !state.outOfOrder
    }

    /// JSONEncoder with the same date style, for a value that cannot be written in one pass.
    private static func fallback<T: Encodable>(_ value: T, dates: Dates) throws -> [UInt8] {
        let encoder = JSONEncoder()
        if case .timestamp = dates {
            encoder.dateEncodingStrategy = .custom { date, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(Timestamp.format(date))
            }
        }
        return Array(try encoder.encode(value))
    }
}

/// A value as stored (dates as seconds since 2001) and where each of its dates was written, so
/// the same value as the API shows it (`JSONBytesEncoder.Dates.timestamp`) is these bytes with
/// the dates rewritten, not a second pass over the value.
public struct DatedJSON: Sendable {
    struct Span: Sendable {
        let start: Int
        let end: Int
        let date: Date
    }

    /// As stored: what `JSONBytesEncoder.encode(value)` writes.
    public let bytes: [UInt8]
    let spans: [Span]
    /// For a value that could not be written in one pass: its timestamped form, made apart.
    let timestamped: [UInt8]?

    /// What `JSONBytesEncoder.encode(value, dates: .timestamp)` writes.
    public func withTimestamps() -> [UInt8] {
        if let timestamped { return timestamped }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + spans.count * 16)
        var from = 0
        bytes.withUnsafeBufferPointer { stored in
            for span in spans {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: stored[from..<span.start]))
                output.append(UInt8(ascii: "\""))
                Timestamp.write(span.date, into: &output)
                output.append(UInt8(ascii: "\""))
                from = span.end
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: stored[from...]))
        }
        return output
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

    // Not checked for exclusive access at run time (a check per write was a seventh of the
    // encoder's time): the state is private to one `encode` call, used by one thread, and no
    // access to these lasts across a call that could reach another.
    @exclusivity(unchecked) var output: [UInt8] = []
    /// Open containers, outermost first.
    @exclusivity(unchecked) var open: [Open] = []
    /// The keys from the top down to the value being written: coding paths are read from here
    /// when asked for, not built for every value.
    @exclusivity(unchecked) var path: [any CodingKey] = []
    let dates: JSONBytesEncoder.Dates
    /// Where each date went, when asked for (`encodeDated`).
    @exclusivity(unchecked) var dateSpans: [DatedJSON.Span]?
    private var opened = 0
    /// Set when a write came to a container that was already closed, or through `superEncoder`:
    /// the output is then not the value, and the caller encodes it another way.
    var outOfOrder = false

    init(dates: JSONBytesEncoder.Dates) {
        self.dates = dates
    }

    /// The coding path of a value written at `depth` (1 is the top), while it is being written.
    func codingPath(depth: Int) -> [any CodingKey] { Array(path.prefix(max(0, depth - 1))) }

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
    func writeNumber<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F, codingPath: @autoclosure () -> [any CodingKey]) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath(), debugDescription: "JSON 不能表示 \(value)"))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        output.append(contentsOf: text.utf8)
    }

    func writeDate(_ date: Date, depth: Int) throws {
        switch dates {
        case .referenceSeconds:
            let start = output.count
            let seconds = date.timeIntervalSinceReferenceDate
            // Whole seconds (most dates) as their digits: what `writeNumber` makes of them through
            // the slower `description` ("793995000.0" less ".0"); -0 and huge values go that way.
            if seconds.rounded(.towardZero) == seconds, abs(seconds) < 1e15, seconds != 0 || seconds.sign == .plus {
                JSONText.writeInteger(Int64(seconds), into: &output)
            } else {
                try writeNumber(seconds, codingPath: codingPath(depth: depth))
            }
            dateSpans?.append(DatedJSON.Span(start: start, end: output.count, date: date))
        case .timestamp:
            output.append(UInt8(ascii: "\""))
            Timestamp.write(date, into: &output)
            output.append(UInt8(ascii: "\""))
        }
    }

    /// One whole value at `depth` (1 is the top); what it opens is closed when it returns.
    ///
    /// The types JSON writes directly are told apart by comparing types, not by casting: a cast
    /// per value, for every field of every incident written, was a tenth of a report's time.
    func encodeValue<T: Encodable>(_ value: T, depth: Int) throws {
        let type = T.self
        if type == String.self { JSONText.writeString(unsafeBitCast(value, to: String.self), into: &output) }
        else if type == Int.self { JSONText.writeInteger(Int64(unsafeBitCast(value, to: Int.self)), into: &output) }
        else if type == Date.self { try writeDate(unsafeBitCast(value, to: Date.self), depth: depth) }
        else if type == Int64.self { JSONText.writeInteger(unsafeBitCast(value, to: Int64.self), into: &output) }
        else if type == Bool.self { output.append(contentsOf: unsafeBitCast(value, to: Bool.self) ? JSONText.true : JSONText.false) }
        else if type == Double.self { try writeNumber(unsafeBitCast(value, to: Double.self), codingPath: codingPath(depth: depth)) }
        // Canonical (sorted keys): JSONValue's own encoding would go key by key through a dictionary.
        else if type == JSONValue.self { unsafeBitCast(value, to: JSONValue.self).write(into: &output) }
        else if type == Data.self { JSONText.writeString(unsafeBitCast(value, to: Data.self).base64EncodedString(), into: &output) }
        else if type == Float.self { try writeNumber(unsafeBitCast(value, to: Float.self), codingPath: codingPath(depth: depth)) }
        // The other integer types encode themselves through a single-value container, which would
        // come back here: each is written as its digits.
        else if let integer = Self.otherInteger(value) { output.append(contentsOf: integer.utf8) }
        // As JSONEncoder writes them (and JSONDecoder reads them): a URL as its text, a Decimal as a number.
        else if type == URL.self { JSONText.writeString(unsafeBitCast(value, to: URL.self).absoluteString, into: &output) }
        else if type == Decimal.self { output.append(contentsOf: unsafeBitCast(value, to: Decimal.self).description.utf8) }
        else {
            let encoder = StreamingEncoder(state: self, depth: depth)
            let before = output.count
            let openBefore = open.count
            try value.encode(to: encoder)
            // A value that wrote nothing at all is an empty object, as JSONEncoder writes it.
            if output.count == before && open.count == openBefore { output.append(contentsOf: "{}".utf8) }
            close(above: depth - 1)
        }
    }

    /// A value inside a container, under `key`: the key is on the path while the value is written.
    /// A container handed out for later (`fixedPath`) puts its own path there first.
    func encodeValue<T: Encodable>(_ value: T, depth: Int, under key: any CodingKey, fixedPath: [any CodingKey]?) throws {
        if let fixedPath {
            let outer = path
            path = fixedPath + [key]
            defer { path = outer }
            try encodeValue(value, depth: depth)
        } else {
            path.append(key)
            defer { path.removeLast() }
            try encodeValue(value, depth: depth)
        }
    }

    /// The digits of a standard integer type other than Int and Int64.
    private static func otherInteger<T>(_ value: T) -> String? {
        let type = T.self
        if type == Int32.self || type == UInt64.self || type == UInt.self || type == UInt32.self || type == Int16.self
            || type == UInt16.self || type == Int8.self || type == UInt8.self { return String(describing: value) }
        if #available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, visionOS 2.0, *), type == Int128.self || type == UInt128.self {
            return String(describing: value)
        }
        return nil
    }
}

private struct StreamingEncoder: Encoder {
    let state: EncodingState
    let depth: Int
    /// Set for an encoder handed out for later (a nested container's, a super encoder): the path
    /// it was made at. Otherwise the path is read from the state while the value is written.
    var fixedPath: [any CodingKey]? = nil

    var codingPath: [any CodingKey] { fixedPath ?? state.codingPath(depth: depth) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let id = state.openContainer(.object, depth: depth)
        return KeyedEncodingContainer(StreamingKeyed<Key>(state: state, depth: depth, id: id, fixedPath: fixedPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let id = state.openContainer(.array, depth: depth)
        return StreamingUnkeyed(state: state, depth: depth, id: id, fixedPath: fixedPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        StreamingSingle(state: state, depth: depth, fixedPath: fixedPath)
    }
}

private struct StreamingKeyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let state: EncodingState
    let depth: Int
    let id: Int
    let fixedPath: [any CodingKey]?

    var codingPath: [any CodingKey] { fixedPath ?? state.codingPath(depth: depth) }

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
        try state.encodeValue(value, depth: depth + 1, under: key, fixedPath: fixedPath)
    }

    // The scalar fields every record has, written without the generic path.
    mutating func encode(_ value: String, forKey key: Key) throws {
        begin(key)
        JSONText.writeString(value, into: &state.output)
    }

    mutating func encode(_ value: Int, forKey key: Key) throws {
        begin(key)
        JSONText.writeInteger(Int64(value), into: &state.output)
    }

    mutating func encode(_ value: Int64, forKey key: Key) throws {
        begin(key)
        JSONText.writeInteger(value, into: &state.output)
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        begin(key)
        state.output.append(contentsOf: value ? JSONText.true : JSONText.false)
    }

    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) }
    }

    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) }
    }

    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) }
    }

    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        begin(key)
        return StreamingEncoder(state: state, depth: depth + 1, fixedPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        begin(key)
        return StreamingEncoder(state: state, depth: depth + 1, fixedPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        state.outOfOrder = true
        return StreamingEncoder(state: state, depth: depth + 1, fixedPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        state.outOfOrder = true
        return StreamingEncoder(state: state, depth: depth + 1, fixedPath: codingPath + [key])
    }
}

private struct StreamingUnkeyed: UnkeyedEncodingContainer {
    let state: EncodingState
    let depth: Int
    let id: Int
    let fixedPath: [any CodingKey]?
    private(set) var count = 0

    init(state: EncodingState, depth: Int, id: Int, fixedPath: [any CodingKey]?) {
        self.state = state
        self.depth = depth
        self.id = id
        self.fixedPath = fixedPath
    }

    var codingPath: [any CodingKey] { fixedPath ?? state.codingPath(depth: depth) }

    private mutating func begin() {
        state.beginElement(in: depth, id: id)
        count += 1
    }

    mutating func encodeNil() throws {
        begin()
        state.output.append(contentsOf: JSONText.null)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        begin()
        try state.encodeValue(value, depth: depth + 1, under: IndexKey(intValue: count - 1), fixedPath: fixedPath)
    }

    mutating func encode(_ value: String) throws {
        begin()
        JSONText.writeString(value, into: &state.output)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        begin()
        return StreamingEncoder(state: state, depth: depth + 1, fixedPath: codingPath + [IndexKey(intValue: count - 1)]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        begin()
        return StreamingEncoder(state: state, depth: depth + 1, fixedPath: codingPath + [IndexKey(intValue: count - 1)]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        state.outOfOrder = true
        return StreamingEncoder(state: state, depth: depth + 1, fixedPath: codingPath)
    }
}

private struct StreamingSingle: SingleValueEncodingContainer {
    let state: EncodingState
    let depth: Int
    let fixedPath: [any CodingKey]?

    var codingPath: [any CodingKey] { fixedPath ?? state.codingPath(depth: depth) }

    mutating func encodeNil() throws { state.output.append(contentsOf: JSONText.null) }

    mutating func encode(_ value: String) throws { JSONText.writeString(value, into: &state.output) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        // The value stands in for its wrapper: it is written at the wrapper's depth.
        try state.encodeValue(value, depth: depth)
    }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

/// A value whose JSON object is written field by field by its own code, not by `encode(to:)`:
/// for the stored incident, written on every change, whose Codable form went through a container
/// box and a key lookup per field. The bytes must be those its `encode(to:)` gives through
/// `JSONBytesEncoder` (same keys in the same order, nil optionals left out): tests compare the
/// two for incidents with every part filled in.
protocol JSONRowWritable: Encodable {
    func writeFields(to fields: inout JSONFields) throws
}

/// The fields of one JSON object, written straight into the encoder's output: `{` before the
/// first, `}` at `end()`.
struct JSONFields {
    fileprivate let state: EncodingState
    private var empty = true

    fileprivate init(state: EncodingState) {
        self.state = state
        state.output.append(UInt8(ascii: "{"))
    }

    /// Closes the object (an object with no fields is `{}`).
    fileprivate func end() {
        state.output.append(UInt8(ascii: "}"))
    }

    /// The comma before every field but the first.
    private mutating func separate() {
        if empty { empty = false } else { state.output.append(UInt8(ascii: ",")) }
    }

    /// `,"key":` (no comma before the first). Keys are the writers' own ASCII names: nothing to escape.
    private mutating func key(_ key: StaticString) {
        separate()
        state.output.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { state.output.append(contentsOf: $0) }
        state.output.append(UInt8(ascii: "\""))
        state.output.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        JSONText.writeString(value, into: &state.output)
    }

    mutating func string(_ name: StaticString, ifPresent value: String?) {
        if let value { string(name, value) }
    }

    /// An enum by its raw value, as its synthesized encoding writes it.
    mutating func string<R: RawRepresentable>(_ name: StaticString, _ value: R) where R.RawValue == String {
        string(name, value.rawValue)
    }

    mutating func integer(_ name: StaticString, _ value: Int) {
        key(name)
        JSONText.writeInteger(Int64(value), into: &state.output)
    }

    mutating func integer(_ name: StaticString, _ value: Int64) {
        key(name)
        JSONText.writeInteger(value, into: &state.output)
    }

    /// A number under a key that is data (a metric's name): the key is escaped as any text is.
    mutating func integer(dynamic name: String, _ value: Int64) {
        separate()
        JSONText.writeString(name, into: &state.output)
        state.output.append(UInt8(ascii: ":"))
        JSONText.writeInteger(value, into: &state.output)
    }

    mutating func integer(_ name: StaticString, ifPresent value: Int?) {
        if let value { integer(name, value) }
    }

    mutating func bool(_ name: StaticString, _ value: Bool) {
        key(name)
        state.output.append(contentsOf: value ? JSONText.true : JSONText.false)
    }

    mutating func null(_ name: StaticString) {
        key(name)
        state.output.append(contentsOf: JSONText.null)
    }

    mutating func date(_ name: StaticString, _ value: Date) throws {
        key(name)
        try state.writeDate(value, depth: 1)
    }

    mutating func date(_ name: StaticString, ifPresent value: Date?) throws {
        if let value { try date(name, value) }
    }

    mutating func strings(_ name: StaticString, _ values: [String]) {
        key(name)
        state.output.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { state.output.append(UInt8(ascii: ",")) }
            JSONText.writeString(value, into: &state.output)
        }
        state.output.append(UInt8(ascii: "]"))
    }

    mutating func strings(_ name: StaticString, ifPresent values: [String]?) {
        if let values { strings(name, values) }
    }

    /// An object of text values, in the dictionary's own order (as Codable writes a `[String: String]`).
    mutating func strings(_ name: StaticString, _ values: [String: String]) {
        key(name)
        state.output.append(UInt8(ascii: "{"))
        var first = true
        for (key, value) in values {
            if first { first = false } else { state.output.append(UInt8(ascii: ",")) }
            JSONText.writeString(key, into: &state.output)
            state.output.append(UInt8(ascii: ":"))
            JSONText.writeString(value, into: &state.output)
        }
        state.output.append(UInt8(ascii: "}"))
    }

    mutating func object<T: JSONRowWritable>(_ name: StaticString, _ value: T) throws {
        key(name)
        try Self.write(value, to: state)
    }

    /// `{…}` of one value that writes its own fields.
    fileprivate static func write<T: JSONRowWritable>(_ value: T, to state: EncodingState) throws {
        var fields = JSONFields(state: state)
        try value.writeFields(to: &fields)
        fields.end()
    }

    mutating func object<T: JSONRowWritable>(_ name: StaticString, ifPresent value: T?) throws {
        if let value { try object(name, value) }
    }

    mutating func objects<T: JSONRowWritable>(_ name: StaticString, _ values: [T]) throws {
        key(name)
        state.output.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { state.output.append(UInt8(ascii: ",")) }
            try Self.write(value, to: state)
        }
        state.output.append(UInt8(ascii: "]"))
    }

    /// A value without a writer of its own, through its `encode(to:)`.
    mutating func encoded<T: Encodable>(_ name: StaticString, ifPresent value: T?) throws {
        guard let value else { return }
        key(name)
        // Nothing the direct writers write is on the encoder's stack of open containers: the value
        // starts a stack of its own and closes all of it.
        try state.encodeValue(value, depth: 1)
        state.close(above: 0)
    }
}
