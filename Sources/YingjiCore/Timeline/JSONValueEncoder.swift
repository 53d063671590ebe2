import Foundation

extension JSONValue {
    /// Any Encodable value as a JSONValue, directly (no JSON text in between). Dates are written
    /// by `date`; optionals that are nil are left out, as JSONEncoder does. Numbers must be whole
    /// and fit Int64: JSONValue holds no fractions.
    public init(encoding value: some Encodable, date: @escaping (Date) -> JSONValue = { .string(Timestamp.format($0)) }) throws {
        let encoder = ValueEncoder(codingPath: [], date: date)
        self = try encoder.box(value).resolved
    }
}

/// What an encoder has written so far. Containers are classes so nested containers can keep
/// writing into their parent after being handed out, as the Encoder protocol allows.
private enum EncodedNode {
    case value(JSONValue)
    case object(ObjectNode)
    case array(ArrayNode)

    var resolved: JSONValue {
        switch self {
        case .value(let value): return value
        case .object(let node): return .object(node.fields.mapValues(\.resolved))
        case .array(let node): return .array(node.items.map(\.resolved))
        }
    }
}

private final class ObjectNode { var fields: [String: EncodedNode] = [:] }
private final class ArrayNode { var items: [EncodedNode] = [] }

private final class ValueEncoder: Encoder {
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any] = [:]
    let date: (Date) -> JSONValue
    var node: EncodedNode?

    init(codingPath: [any CodingKey], date: @escaping (Date) -> JSONValue) {
        self.codingPath = codingPath
        self.date = date
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: ObjectNode
        if case .object(let existing) = node {
            object = existing
        } else {
            object = ObjectNode()
            node = .object(object)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self, object: object, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let array: ArrayNode
        if case .array(let existing) = node {
            array = existing
        } else {
            array = ArrayNode()
            node = .array(array)
        }
        return UnkeyedContainer(encoder: self, array: array, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(encoder: self, codingPath: codingPath) }

    /// One value as a node: scalars directly, anything else through a child encoder.
    func box(_ value: some Encodable, at path: [any CodingKey] = []) throws -> EncodedNode {
        switch value {
        case let text as String: return .value(.string(text))
        case let number as Int: return .value(.int(Int64(number)))
        case let number as Int64: return .value(.int(number))
        case let flag as Bool: return .value(.bool(flag))
        case let instant as Date: return .value(date(instant))
        case let json as JSONValue: return .value(json)
        default:
            let child = ValueEncoder(codingPath: codingPath + path, date: date)
            try value.encode(to: child)
            return child.node ?? .value(.object([:]))
        }
    }

    func integer(_ value: some BinaryInteger, at path: [any CodingKey]) throws -> EncodedNode {
        guard let exact = Int64(exactly: value) else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath + path, debugDescription: "\(value) does not fit Int64"))
        }
        return .value(.int(exact))
    }

    func floating(_ value: some BinaryFloatingPoint, at path: [any CodingKey]) throws -> EncodedNode {
        guard let exact = Int64(exactly: value) else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath + path, debugDescription: "JSONValue holds whole numbers only"))
        }
        return .value(.int(exact))
    }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    let stringValue: String
    init(intValue: Int) { self.intValue = intValue; stringValue = String(intValue) }
    init?(stringValue: String) { return nil }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: ValueEncoder
    let object: ObjectNode
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { object.fields[key.stringValue] = .value(.null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { object.fields[key.stringValue] = .value(.bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { object.fields[key.stringValue] = .value(.string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { object.fields[key.stringValue] = try encoder.floating(value, at: [key]) }
    mutating func encode(_ value: Float, forKey key: Key) throws { object.fields[key.stringValue] = try encoder.floating(value, at: [key]) }
    mutating func encode(_ value: Int, forKey key: Key) throws { object.fields[key.stringValue] = .value(.int(Int64(value))) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { object.fields[key.stringValue] = .value(.int(Int64(value))) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { object.fields[key.stringValue] = .value(.int(Int64(value))) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { object.fields[key.stringValue] = .value(.int(Int64(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { object.fields[key.stringValue] = .value(.int(value)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { object.fields[key.stringValue] = try encoder.integer(value, at: [key]) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { object.fields[key.stringValue] = .value(.int(Int64(value))) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { object.fields[key.stringValue] = .value(.int(Int64(value))) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { object.fields[key.stringValue] = .value(.int(Int64(value))) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { object.fields[key.stringValue] = try encoder.integer(value, at: [key]) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { object.fields[key.stringValue] = try encoder.box(value, at: [key]) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectNode()
        object.fields[key.stringValue] = .object(nested)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: encoder, object: nested, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = ArrayNode()
        object.fields[key.stringValue] = .array(nested)
        return UnkeyedContainer(encoder: encoder, array: nested, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: "super") }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key.stringValue) }

    private func superEncoder(named name: String) -> any Encoder {
        let child = ObjectNode()
        object.fields[name] = .object(child)
        let encoder = ValueEncoder(codingPath: codingPath, date: encoder.date)
        encoder.node = .object(child)
        return encoder
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: ValueEncoder
    let array: ArrayNode
    let codingPath: [any CodingKey]
    var count: Int { array.items.count }

    private var nextKey: [any CodingKey] { [IndexKey(intValue: array.items.count)] }

    mutating func encodeNil() throws { array.items.append(.value(.null)) }
    mutating func encode(_ value: Bool) throws { array.items.append(.value(.bool(value))) }
    mutating func encode(_ value: String) throws { array.items.append(.value(.string(value))) }
    mutating func encode(_ value: Double) throws { array.items.append(try encoder.floating(value, at: nextKey)) }
    mutating func encode(_ value: Float) throws { array.items.append(try encoder.floating(value, at: nextKey)) }
    mutating func encode(_ value: Int) throws { array.items.append(.value(.int(Int64(value)))) }
    mutating func encode(_ value: Int64) throws { array.items.append(.value(.int(value))) }
    mutating func encode(_ value: UInt64) throws { array.items.append(try encoder.integer(value, at: nextKey)) }
    mutating func encode(_ value: Int8) throws { array.items.append(.value(.int(Int64(value)))) }
    mutating func encode(_ value: Int16) throws { array.items.append(.value(.int(Int64(value)))) }
    mutating func encode(_ value: Int32) throws { array.items.append(.value(.int(Int64(value)))) }
    mutating func encode(_ value: UInt) throws { array.items.append(try encoder.integer(value, at: nextKey)) }
    mutating func encode(_ value: UInt8) throws { array.items.append(.value(.int(Int64(value)))) }
    mutating func encode(_ value: UInt16) throws { array.items.append(.value(.int(Int64(value)))) }
    mutating func encode(_ value: UInt32) throws { array.items.append(.value(.int(Int64(value)))) }
    mutating func encode<T: Encodable>(_ value: T) throws { array.items.append(try encoder.box(value, at: nextKey)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectNode()
        let path = codingPath + nextKey
        array.items.append(.object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: encoder, object: nested, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = ArrayNode()
        let path = codingPath + nextKey
        array.items.append(.array(nested))
        return UnkeyedContainer(encoder: encoder, array: nested, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let child = ObjectNode()
        array.items.append(.object(child))
        let encoder = ValueEncoder(codingPath: codingPath, date: encoder.date)
        encoder.node = .object(child)
        return encoder
    }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let encoder: ValueEncoder
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { encoder.node = .value(.null) }
    mutating func encode(_ value: Bool) throws { encoder.node = .value(.bool(value)) }
    mutating func encode(_ value: String) throws { encoder.node = .value(.string(value)) }
    mutating func encode(_ value: Double) throws { encoder.node = try encoder.floating(value, at: []) }
    mutating func encode(_ value: Float) throws { encoder.node = try encoder.floating(value, at: []) }
    mutating func encode(_ value: Int) throws { encoder.node = .value(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { encoder.node = .value(.int(value)) }
    mutating func encode(_ value: UInt64) throws { encoder.node = try encoder.integer(value, at: []) }
    mutating func encode(_ value: Int8) throws { encoder.node = .value(.int(Int64(value))) }
    mutating func encode(_ value: Int16) throws { encoder.node = .value(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { encoder.node = .value(.int(Int64(value))) }
    mutating func encode(_ value: UInt) throws { encoder.node = try encoder.integer(value, at: []) }
    mutating func encode(_ value: UInt8) throws { encoder.node = .value(.int(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { encoder.node = .value(.int(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { encoder.node = .value(.int(Int64(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws { encoder.node = try encoder.box(value) }
}
