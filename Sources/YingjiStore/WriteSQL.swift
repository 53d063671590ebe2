import SQLKit

/// A value bound into a written statement: the four kinds the writer's tables hold.
enum SQLValue: Sendable, Equatable {
    case text(String)
    /// Text given as its UTF-8 bytes (a document just encoded), bound without making a String of it.
    case utf8([UInt8])
    case integer(Int)
    case real(Double)
    case null
}

/// A statement of a write: its text in pieces, a value between each two. Written like SQLKit's
/// query strings (`"… WHERE id = \(bind: id)"`), but held as plain strings and values: SQLKit
/// keeps each value in two nested boxes (one allocation per value; a new incident's write binds
/// about eighty) and its serializer copies them again. The SQLite writer joins the pieces with
/// `?` and binds the values through the C API; PostgreSQL gets a SQLKit query made from them.
/// The fixed text must not hold a parameter of its own (`?`, `?1`, `:name`, `$1` outside quotes):
/// SQLite would count it as one more value and PostgreSQL would not.
struct WriteSQL: Sendable, ExpressibleByStringInterpolation {
    /// The text before the first value, between values, and after the last: one more than `values`.
    private(set) var pieces: [String]
    private(set) var values: [SQLValue]
    /// The text with `?` for each value (SQLite's placeholder), kept as the pieces are written
    /// (joining them again for every statement was about 1 % of an intake's samples).
    private(set) var sqliteText: String

    init(stringLiteral value: String) {
        pieces = [value]
        values = []
        sqliteText = value
    }

    init(stringInterpolation: StringInterpolation) {
        pieces = stringInterpolation.pieces
        values = stringInterpolation.values
        sqliteText = stringInterpolation.sqliteText
    }

    /// The same statement as a SQLKit query, for databases reached through SQLKit (PostgreSQL).
    var query: SQLQueryString {
        var query = SQLQueryString(pieces[0])
        for (value, piece) in zip(values, pieces.dropFirst()) {
            switch value {
            case .text(let text): query.appendInterpolation(bind: text)
            case .utf8(let bytes): query.appendInterpolation(bind: String(decoding: bytes, as: UTF8.self))
            case .integer(let number): query.appendInterpolation(bind: number)
            case .real(let number): query.appendInterpolation(bind: number)
            // A bound nil would reach PostgreSQL typed by the Swift type it was bound as (a `String?`
            // as text, refused for an integer column); the keyword takes its column's type.
            case .null: query.appendInterpolation(unsafeRaw: "NULL")
            }
            query.appendInterpolation(unsafeRaw: piece)
        }
        return query
    }

    /// The same statement with other values, as many as it has: a statement whose text is made
    /// once and filled in for each write.
    func with(values newValues: [SQLValue]) -> WriteSQL {
        precondition(newValues.count == values.count, "\(values.count) values expected, \(newValues.count) given")
        var filled = self
        filled.values = newValues
        return filled
    }

    mutating func append(_ other: WriteSQL) {
        pieces[pieces.count - 1] += other.pieces[0]
        pieces += other.pieces.dropFirst()
        values += other.values
        sqliteText += other.sqliteText
    }

    mutating func append(raw text: String) {
        pieces[pieces.count - 1] += text
        sqliteText += text
    }

    struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var pieces: [String] = [""]
        fileprivate var values: [SQLValue] = []
        fileprivate var sqliteText = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            pieces.reserveCapacity(interpolationCount + 1)
            values.reserveCapacity(interpolationCount)
        }

        mutating func appendLiteral(_ literal: String) {
            pieces[pieces.count - 1] += literal
            sqliteText += literal
        }

        private mutating func add(_ value: SQLValue) {
            values.append(value)
            pieces.append("")
            sqliteText += "?"
        }

        mutating func appendInterpolation(bind value: String) { add(.text(value)) }
        mutating func appendInterpolation(bindUTF8 bytes: [UInt8]) { add(.utf8(bytes)) }
        mutating func appendInterpolation(bind value: String?) { add(value.map(SQLValue.text) ?? .null) }
        mutating func appendInterpolation(bind value: Int) { add(.integer(value)) }
        mutating func appendInterpolation(bind value: Int?) { add(value.map(SQLValue.integer) ?? .null) }
        mutating func appendInterpolation(bind value: Double) { add(.real(value)) }
        mutating func appendInterpolation(bind value: Double?) { add(value.map(SQLValue.real) ?? .null) }
    }
}
