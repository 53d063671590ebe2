import Foundation
import SQLKit
import NIOCore
import Logging
import SQLiteKit
// The C library SQLiteNIO is built on. It must be this very copy: two copies of SQLite in one
// process that open the same file do not see each other's POSIX locks, and can corrupt it.
import VaporCSQLite

/// One SQLite connection driven directly through the C API, its prepared statements kept by SQL
/// text. Not thread-safe: its owner uses it from one thread at a time.
final class DirectSQLiteConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    /// Used only for its dialect: statements are written with SQLKit and serialized for SQLite.
    private let dialectDatabase: any SQLDatabase
    private var statements: [String: OpaquePointer] = [:]
    /// Statements kept at most; lists with many filters make many texts, so the cache is bounded.
    static let statementLimit = 200

    init(path: String, flags: Int32, settings: [String], dialect: any SQLDatabase) throws {
        var handle: OpaquePointer?
        let opened = sqlite_nio_sqlite3_open_v2(path, &handle, flags | SQLITE_OPEN_EXRESCODE, nil)
        guard opened == SQLITE_OK, let handle else {
            let reason = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { "：" + String(cString: $0) } ?? ""
            if let handle { sqlite_nio_sqlite3_close(handle) }
            throw DirectSQLiteError(code: opened, message: "无法打开 SQLite 数据库 \(path)\(reason)")
        }
        self.handle = handle
        dialectDatabase = dialect as? SQLDialectOnly ?? SQLDialectOnly(dialect)
        for setting in settings {
            guard sqlite_nio_sqlite3_exec(handle, setting, nil, nil, nil) == SQLITE_OK else {
                let error = DirectSQLiteError(handle: handle)
                sqlite_nio_sqlite3_close(handle)
                throw error
            }
        }
    }

    /// The first column of the first row `sql` answers, as an integer (0 when none).
    private static func integer(_ sql: String, on handle: OpaquePointer) -> Int32 {
        var statement: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else { return 0 }
        defer { sqlite_nio_sqlite3_finalize(statement) }
        return sqlite_nio_sqlite3_step(statement) == SQLITE_ROW ? sqlite_nio_sqlite3_column_int(statement, 0) : 0
    }

    func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        statements = [:]
        sqlite_nio_sqlite3_close(handle)
    }

    /// Runs one statement to its end, handing each row to `onRow`; true when it produced a row.
    @discardableResult
    func run(_ query: any SQLExpression, onRow: ((DirectSQLiteRow) -> Void)? = nil) throws -> Bool {
        var serializer = SQLSerializer(database: dialectDatabase)
        query.serialize(to: &serializer)
        let statement = try prepared(serializer.sql)
        defer { finish(statement) }
        for (offset, value) in serializer.binds.enumerated() {
            try bind(value, at: Int32(offset + 1), to: statement)
        }
        return try step(statement, onRow: onRow)
    }

    /// Runs one statement of a write; true when it produced a row.
    func run(_ sql: WriteSQL) throws -> Bool {
        let statement = try prepared(sql.sqliteText)
        defer { finish(statement) }
        for (offset, value) in sql.values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .text(let text): try bindText(text, at: index, to: statement)
            case .utf8(let bytes): try bytes.withUnsafeBufferPointer { try bindUTF8($0, at: index, to: statement) }
            case .integer(let number): try check(sqlite_nio_sqlite3_bind_int64(statement, index, Int64(number)))
            case .real(let number): try check(sqlite_nio_sqlite3_bind_double(statement, index, number))
            case .null: try check(sqlite_nio_sqlite3_bind_null(statement, index))
            }
        }
        return try step(statement, onRow: nil)
    }

    private func finish(_ statement: OpaquePointer) {
        sqlite_nio_sqlite3_reset(statement)
        sqlite_nio_sqlite3_clear_bindings(statement)
    }

    private func step(_ statement: OpaquePointer, onRow: ((DirectSQLiteRow) -> Void)?) throws -> Bool {
        var producedRow = false
        var names: [String]?
        while true {
            let result = sqlite_nio_sqlite3_step(statement)
            switch result {
            case SQLITE_ROW:
                producedRow = true
                guard let onRow else { continue }
                let count = sqlite_nio_sqlite3_column_count(statement)
                if names == nil {
                    names = (0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(statement, $0)) }
                }
                onRow(DirectSQLiteRow(names: names!, values: (0..<count).map { Self.value(statement, $0) }))
            case SQLITE_DONE: return producedRow
            default: throw DirectSQLiteError(handle: handle)
            }
        }
    }

    private static func value(_ statement: OpaquePointer, _ column: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .text("") }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            guard let bytes = sqlite_nio_sqlite3_column_blob(statement, column), count > 0 else { return .blob(ByteBuffer()) }
            return .blob(ByteBuffer(bytes: UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        if statements.count >= Self.statementLimit {
            for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
            statements = [:]
        }
        var statement: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
            throw DirectSQLiteError(handle: handle)
        }
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: any Encodable & Sendable, at index: Int32, to statement: OpaquePointer) throws {
        try bindKnown(value, at: index, to: statement)
    }

    /// The types statements bind, told apart by type instead of by casts; anything else by casts.
    private func bindKnown<T>(_ value: T, at index: Int32, to statement: OpaquePointer) throws {
        let type = T.self
        if type == String.self { try bindText(unsafeBitCast(value, to: String.self), at: index, to: statement) }
        else if type == Int.self { try check(sqlite_nio_sqlite3_bind_int64(statement, index, Int64(unsafeBitCast(value, to: Int.self)))) }
        else if type == Double.self { try check(sqlite_nio_sqlite3_bind_double(statement, index, unsafeBitCast(value, to: Double.self))) }
        else if type == String?.self {
            if let text = unsafeBitCast(value, to: String?.self) { try bindText(text, at: index, to: statement) } else { try check(sqlite_nio_sqlite3_bind_null(statement, index)) }
        } else if type == Int?.self {
            if let number = unsafeBitCast(value, to: Int?.self) { try check(sqlite_nio_sqlite3_bind_int64(statement, index, Int64(number))) } else { try check(sqlite_nio_sqlite3_bind_null(statement, index)) }
        } else if type == Double?.self {
            if let number = unsafeBitCast(value, to: Double?.self) { try check(sqlite_nio_sqlite3_bind_double(statement, index, number)) } else { try check(sqlite_nio_sqlite3_bind_null(statement, index)) }
        } else {
            try bindAny(value, at: index, to: statement)
        }
    }

    /// Binds the string's own UTF-8 bytes (SQLite copies them); passing the String itself would
    /// first make a NUL-terminated copy of it.
    private func bindText(_ text: String, at index: Int32, to statement: OpaquePointer) throws {
        var text = text
        try text.withUTF8 { try bindUTF8($0, at: index, to: statement) }
    }

    /// Binds UTF-8 bytes as text (SQLite copies them); no bytes is the empty text, not NULL.
    private func bindUTF8(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int32, to statement: OpaquePointer) throws {
        let result = bytes.withMemoryRebound(to: CChar.self) { chars in
            guard let base = chars.baseAddress, !chars.isEmpty else { return sqlite_nio_sqlite3_bind_text64(statement, index, "", 0, transient, UInt8(SQLITE_UTF8)) }
            return sqlite_nio_sqlite3_bind_text64(statement, index, base, UInt64(chars.count), transient, UInt8(SQLITE_UTF8))
        }
        try check(result)
    }

    private func bindAny(_ value: Any, at index: Int32, to statement: OpaquePointer) throws {
        var value: Any = value
        if let optional = value as? any OptionalBind {
            guard let wrapped = optional.wrappedBind else {
                try check(sqlite_nio_sqlite3_bind_null(statement, index))
                return
            }
            value = wrapped
        }
        switch value {
        case let text as String: try bindText(text, at: index, to: statement)
        case let number as Int: try check(sqlite_nio_sqlite3_bind_int64(statement, index, Int64(number)))
        case let number as Int64: try check(sqlite_nio_sqlite3_bind_int64(statement, index, number))
        case let number as Double: try check(sqlite_nio_sqlite3_bind_double(statement, index, number))
        case let flag as Bool: try check(sqlite_nio_sqlite3_bind_int64(statement, index, flag ? 1 : 0))
        default: throw DirectSQLiteError(code: SQLITE_MISMATCH, message: "不支持的绑定类型 \(type(of: value))")
        }
    }

    private func check(_ result: Int32) throws {
        guard result == SQLITE_OK else { throw DirectSQLiteError(handle: handle) }
    }

    /// Tells `checkpointer` the WAL's length after each commit on this connection. This replaces
    /// SQLite's automatic checkpoint, which is a hook of the same kind: from now on this
    /// connection's commits never checkpoint by themselves.
    func reportCommits(to checkpointer: WALCheckpointer) {
        sqlite_nio_sqlite3_wal_hook(handle, { context, _, _, frames in
            guard let context else { return SQLITE_OK }
            Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(framesInLog: Int(frames))
            return SQLITE_OK
        }, Unmanaged.passUnretained(checkpointer).toOpaque())
    }

    /// One checkpoint of the WAL in `mode` (SQLITE_CHECKPOINT_PASSIVE, …). With `wait: false` it
    /// never waits for a lock: where one is held it copies what it can and answers SQLITE_BUSY.
    /// Answers SQLite's result code, the frames in the log and the frames copied to the database.
    func checkpoint(_ mode: Int32, wait: Bool) -> (result: Int32, log: Int, copied: Int) {
        // The timeout as it is now (a PRAGMA may have changed it since the connection opened).
        let timeout = wait ? 0 : Self.integer("PRAGMA busy_timeout", on: handle)
        if !wait { sqlite_nio_sqlite3_busy_timeout(handle, 0) }
        defer { if !wait { sqlite_nio_sqlite3_busy_timeout(handle, timeout) } }
        var log: Int32 = 0, copied: Int32 = 0
        let result = sqlite_nio_sqlite3_wal_checkpoint_v2(handle, nil, mode, &log, &copied)
        return (result, Int(log), Int(copied))
    }
}

/// A row read through `DirectSQLiteConnection`, decoded as SQLiteNIO's rows are (SQLiteDataDecoder).
struct DirectSQLiteRow: SQLRow {
    let names: [String]
    let values: [SQLiteData]

    var allColumns: [String] { names }

    func contains(column: String) -> Bool { names.contains(column) }

    func decodeNil(column: String) throws -> Bool {
        guard let index = names.firstIndex(of: column) else { return true }
        return values[index] == .null
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let index = names.firstIndex(of: column) else {
            throw DecodingError.keyNotFound(SQLiteColumnKey(stringValue: column), .init(codingPath: [], debugDescription: "没有列 \(column)"))
        }
        return try SQLiteDataDecoder().decode(D.self, from: values[index])
    }
}

private struct SQLiteColumnKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The SQLite writer: its connection, driven on one dedicated thread.
///
/// SQLiteNIO answers each statement by hopping to a thread pool and back (several thread
/// switches per statement); a write here is six to ten statements. Running the whole group commit
/// on the thread that owns the connection costs one hop in and one out per group instead.
///
/// Its commits do not checkpoint the WAL: `WALCheckpointer` does, on a thread of its own.
final class DirectSQLiteRunner: TransactionRunner, @unchecked Sendable {
    private let connection: DirectSQLiteConnection
    private let thread: ThreadPoolExecutor
    let checkpointer: WALCheckpointer
    private let closedLock = NSLock()
    private var closed = false

    var executor: (any TaskExecutor)? { thread }

    init(path: String, settings: [String], dialect: any SQLDatabase, checkpointThreshold: Int = WALCheckpointer.defaultThreshold) throws {
        connection = try DirectSQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                                settings: settings, dialect: dialect)
        do {
            checkpointer = try WALCheckpointer(path: path, settings: settings, dialect: dialect, threshold: checkpointThreshold)
        } catch {
            connection.close()
            throw error
        }
        connection.reportCommits(to: checkpointer)
        thread = ThreadPoolExecutor(name: "yingji-writer")
    }

    func run(_ batch: [[WriteStep]]) async throws -> [Result<Void, Error>] {
        // A write that arrives after `close` (a request still finishing at shutdown) is refused:
        // its drain no longer runs on the writer's thread, and the connection is gone.
        guard !closedLock.withLock({ closed }) else { throw StoreError.closed }
        checkpointer.restartIfDue(on: connection)
        return try await Self.runBatch(batch, begin: "BEGIN IMMEDIATE") { sql in try self.connection.run(sql) }
    }

    func close() async throws {
        // On the writer's thread, so no batch is running while the connection closes.
        await withTaskExecutorPreference(thread) {
            closedLock.withLock { closed = true }
            connection.close()
        }
        thread.stop()
        checkpointer.stop()
    }
}

/// Reads on SQLite, run in place on the caller's thread through the C API, each on a connection
/// of its own taken from a pool (a new one opened when all are busy; a read never suspends, so
/// there are at most as many as threads reading at once). In WAL mode a read sees the
/// last committed state and never waits for the writer; an indexed lookup takes microseconds,
/// less than the two thread switches SQLiteNIO's thread pool would add.
final class DirectSQLiteReader: SQLDatabase, @unchecked Sendable {
    private let path: String
    private let settings: [String]
    private let maintenance: any SQLDatabase
    private let lock = NSLock()
    private var idle: [DirectSQLiteConnection] = []
    private var closed = false

    init(path: String, settings: [String], maintenance: any SQLDatabase) throws {
        self.path = path
        // A read connection never writes: a write through it is refused by SQLite itself.
        self.settings = settings + ["PRAGMA query_only = ON"]
        self.maintenance = maintenance
        idle = [try open()]
    }

    private func open() throws -> DirectSQLiteConnection {
        try DirectSQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, settings: settings, dialect: maintenance)
    }

    var logger: Logger { maintenance.logger }
    var eventLoop: any EventLoop { maintenance.eventLoop }
    var dialect: any SQLDialect { maintenance.dialect }
    var version: (any SQLDatabaseReportedVersion)? { maintenance.version }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        eventLoop.makeCompletedFuture { try self.read(query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try read(query, onRow)
    }

    private func read(_ query: any SQLExpression, _ onRow: @escaping (any SQLRow) -> Void) throws {
        let connection = try lock.withLock {
            if closed { throw DirectSQLiteError(code: SQLITE_MISUSE, message: "数据库已关闭") }
            return idle.popLast()
        } ?? open()
        defer {
            let keep = lock.withLock {
                guard !closed else { return false }
                idle.append(connection)
                return true
            }
            if !keep { connection.close() }
        }
        try connection.run(query) { onRow($0) }
    }

    func close() {
        let connections = lock.withLock {
            closed = true
            defer { idle = [] }
            return idle
        }
        for connection in connections { connection.close() }
    }
}

/// The maintenance connection on SQLite (the settings, the migrations, a test's own statement),
/// driven in place through the C API: one connection, one statement at a time. Through
/// SQLiteNIO each statement went to its thread pool and back, and opening it started that pool;
/// start-up's sixty-odd migration statements on a new file paid the hop each.
final class DirectSQLiteDatabase: SQLDatabase, @unchecked Sendable {
    private let connection: DirectSQLiteConnection
    private let lock = NSLock()
    private var closed = false
    let logger: Logger
    let eventLoop: any EventLoop
    let dialect: any SQLDialect
    var version: (any SQLDatabaseReportedVersion)? { nil }

    init(path: String, logger: Logger, eventLoop: any EventLoop) throws {
        self.logger = logger
        self.eventLoop = eventLoop
        let dialect = SQLiteDialect()
        self.dialect = dialect
        connection = try DirectSQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, settings: [],
                                                dialect: SQLDialectOnly(dialect: dialect, logger: logger, eventLoop: eventLoop))
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        eventLoop.makeCompletedFuture { try self.run(query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try run(query, onRow)
    }

    /// `onRow` runs under the connection's lock: it must not use this database itself.
    private func run(_ query: any SQLExpression, _ onRow: @escaping (any SQLRow) -> Void) throws {
        try lock.withLock {
            if closed { throw StoreError.closed }
            try connection.run(query) { onRow($0) }
        }
    }

    func close() {
        lock.withLock {
            guard !closed else { return }
            closed = true
            connection.close()
        }
    }
}

/// A database that only names its dialect, for writing statements' text: SQLKit's serializer asks
/// the database for its dialect at every placeholder, and SQLiteKit's database copies itself and
/// makes a new dialect each time (a twentieth of the writer's time on a report's 80 bound values).
/// This one is a class holding the dialect it was given; it runs nothing.
final class SQLDialectOnly: SQLDatabase, @unchecked Sendable {
    let dialect: any SQLDialect
    let logger: Logger
    let eventLoop: any EventLoop
    let version: (any SQLDatabaseReportedVersion)?

    init(_ database: any SQLDatabase) {
        dialect = database.dialect
        logger = database.logger
        eventLoop = database.eventLoop
        version = database.version
    }

    init(dialect: any SQLDialect, logger: Logger, eventLoop: any EventLoop) {
        self.dialect = dialect
        self.logger = logger
        self.eventLoop = eventLoop
        version = nil
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        eventLoop.makeFailedFuture(DirectSQLiteError(code: SQLITE_MISUSE, message: "SQLDialectOnly 只用于写出语句，不执行"))
    }
}

/// SQLITE_TRANSIENT: SQLite copies the bound text before the call returns.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// An Optional bind value, seen through `Any`.
private protocol OptionalBind {
    var wrappedBind: Any? { get }
}

extension Optional: OptionalBind {
    fileprivate var wrappedBind: Any? { self.map { $0 as Any } }
}

/// An error from the SQLite C library, with its code and message.
struct DirectSQLiteError: Error, CustomStringConvertible {
    let code: Int32
    let message: String

    init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    init(handle: OpaquePointer) {
        code = sqlite_nio_sqlite3_extended_errcode(handle)
        message = sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "unknown"
    }

    var description: String { "SQLite error \(code): \(message)" }
}
