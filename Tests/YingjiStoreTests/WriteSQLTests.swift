import Foundation
import SQLKit
import Testing
import YingjiCore
@testable import YingjiStore

/// Statements of the writer: text in pieces and values between them.
@Suite struct WriteSQLTests {
    @Test func piecesAndValuesAsWritten() {
        let grade: Int? = nil
        let sql: WriteSQL = "INSERT INTO t (a, b, c, d) VALUES (\(bind: "昆玉"), \(bind: 3), \(bind: grade), \(bind: 1.5))"
        #expect(sql.sqliteText == "INSERT INTO t (a, b, c, d) VALUES (?, ?, ?, ?)")
        #expect(sql.values == [.text("昆玉"), .integer(3), .null, .real(1.5)])
        let plain: WriteSQL = "COMMIT"
        #expect(plain.sqliteText == "COMMIT")
        #expect(plain.values.isEmpty)
    }

    @Test func appendedStatementsKeepTheirValuesInOrder() {
        var sql: WriteSQL = "INSERT INTO t (a, b) VALUES "
        for (index, name) in ["甲", "乙", "丙"].enumerated() {
            if index > 0 { sql.append(raw: ", ") }
            sql.append("(\(bind: name), \(bind: index))")
        }
        #expect(sql.sqliteText == "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?)")
        #expect(sql.values == [.text("甲"), .integer(0), .text("乙"), .integer(1), .text("丙"), .integer(2)])
        // The SQLite text kept as it was written is the pieces joined by placeholders (what PostgreSQL's query is made from).
        #expect(sql.pieces == ["INSERT INTO t (a, b) VALUES (", ", ", "), (", ", ", "), (", ", ", ")"])
        #expect(sql.sqliteText == sql.pieces.joined(separator: "?"))
    }

    /// The timeline's insert is made once per row count and filled in: the text has nine
    /// placeholders a row, the values are each entry's in column order.
    @Test func timelineRowsFillAStatementMadeOncePerCount() throws {
        let entries = (1...2).map { sequence in
            TimelineEntry(incidentID: "inc_1", sequence: sequence, at: Date(timeIntervalSinceReferenceDate: Double(sequence) + 0.5), actor: "值班员",
                          kind: "k\(sequence)", payload: ["n": .int(Int64(sequence))], corrects: sequence == 2 ? 1 : nil,
                          previousHash: "p\(sequence)", hash: "h\(sequence)")
        }
        let steps = SQLIncidentRepository.append(entries)
        #expect(steps.count == 1)
        let sql = try #require(steps.first?.sql)
        let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
        #expect(sql.sqliteText == "INSERT INTO timeline (incident_id, sequence, at, actor, kind, payload, corrects, previous_hash, hash) VALUES \(row), \(row)")
        #expect(sql.sqliteText == sql.pieces.joined(separator: "?"))
        #expect(sql.values == [.text("inc_1"), .integer(1), .real(1.5), .text("值班员"), .text("k1"), .text(#"{"n":1}"#), .null, .text("p1"), .text("h1"),
                               .text("inc_1"), .integer(2), .real(2.5), .text("值班员"), .text("k2"), .text(#"{"n":2}"#), .integer(1), .text("p2"), .text("h2")])
        // Made once per count: the same text again, other values.
        let again = try #require(SQLIncidentRepository.append(Array(entries.reversed())).first?.sql)
        #expect(again.sqliteText == sql.sqliteText && again.values.first(where: { $0 != .text("inc_1") }) == .integer(2))
        #expect(SQLIncidentRepository.append([]).isEmpty)
        #expect(SQLIncidentRepository.timelineInsert(rows: 3).values.count == 27)
    }

    /// Through the writer of each engine: SQLite binds through the C API, PostgreSQL through SQLKit
    /// (`WriteSQL.query`), NULLs of every column type included.
    @Test(arguments: Engines.all) func valuesReachTheDatabaseAsBound(_ engine: SQLEngine) async throws {
        let store = try await Engines.open(engine)
        let table = "write_sql_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let writer = store.incidents.writer
        do {
            try await roundTrip(table, writer: writer, store: store)
        } catch {
            // Named in full (PostgreSQL's errors hide their details from plain printing), and the
            // store closed: a connection dropped unclosed stops the whole test run.
            Issue.record("\(String(reflecting: error))")
            try? await store.close()
        }
    }

    private func roundTrip(_ table: String, writer: GroupCommitWriter, store: Store) async throws {
        try await writer.write([WriteStep(WriteSQL(stringLiteral: "CREATE TABLE \(table) (a TEXT, b INTEGER, c DOUBLE PRECISION, d INTEGER, e TEXT)"))])
        var insert = WriteSQL(stringLiteral: "INSERT INTO \(table) (a, b, c, d, e) VALUES ")
        insert.append("(\(bind: "昆玉 'x' ?"), \(bind: 3), \(bind: 1.5), \(bind: Int?.none), \(bind: String?.none))")
        insert.append(raw: ", ")
        insert.append("(\(bind: "b"), \(bind: -7), \(bind: Double?.none), \(bind: 9), \(bindUTF8: Array("文档 {\"a\":1}".utf8)))")
        try await writer.write([WriteStep(insert)])
        let rows = try await store.incidents.database.raw(SQLQueryString("SELECT a, b, c, d, e FROM \(table) ORDER BY b DESC")).all()
        try await writer.write([WriteStep(WriteSQL(stringLiteral: "DROP TABLE \(table)"))])
        try await store.close()
        #expect(rows.count == 2)
        guard rows.count == 2 else { return }
        #expect(try rows[0].decode(column: "a", as: String.self) == "昆玉 'x' ?")
        #expect(try rows[0].decode(column: "b", as: Int.self) == 3)
        #expect(try rows[0].decode(column: "c", as: Double.self) == 1.5)
        #expect(try rows[0].decode(column: "d", as: Int?.self) == nil)
        #expect(try rows[0].decode(column: "e", as: String?.self) == nil)
        #expect(try rows[1].decode(column: "b", as: Int.self) == -7)
        #expect(try rows[1].decode(column: "c", as: Double?.self) == nil)
        #expect(try rows[1].decode(column: "d", as: Int.self) == 9)
        #expect(try rows[1].decode(column: "e", as: String.self) == "文档 {\"a\":1}")
    }
}
