import Foundation
import SQLKit
import SQLiteKit
// The C library SQLiteNIO is built on. It must be this very copy: two copies of SQLite in one
// process that open the same file do not see each other's POSIX locks, and can corrupt it.
import VaporCSQLite

/// The SQLite writer's connection, driven directly through the C API on one dedicated thread.
///
/// SQLiteNIO answers each statement by hopping to a thread pool and back (several thread
/// switches per statement); a write here is six to ten statements. Running the whole group commit
/// on the thread that owns the connection costs one hop in and one out per group instead.
final class DirectSQLiteRunner: TransactionRunner, @unchecked Sendable {
    private let handle: OpaquePointer
    /// Used only for its dialect: statements are written with SQLKit and serialized for SQLite.
    private let dialectDatabase: any SQLDatabase
    private let thread: DedicatedThreadExecutor
    /// Prepared statements by SQL text; touched only on `thread`.
    private var statements: [String: OpaquePointer] = [:]

    var executor: (any TaskExecutor)? { thread }

    init(path: String, settings: [String], dialect: any SQLDatabase) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE
        let opened = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard opened == SQLITE_OK, let handle else {
            if let handle { sqlite_nio_sqlite3_close(handle) }
            throw DirectSQLiteError(code: opened, message: "无法打开 SQLite 数据库 \(path)")
        }
        self.handle = handle
        dialectDatabase = dialect
        thread = DedicatedThreadExecutor(name: "yingji-sqlite-writer")
        for setting in settings {
            guard sqlite_nio_sqlite3_exec(handle, setting, nil, nil, nil) == SQLITE_OK else {
                let error = DirectSQLiteError(handle: handle)
                sqlite_nio_sqlite3_close(handle)
                thread.stop()
                throw error
            }
        }
    }

    func run(_ batch: [[WriteStep]]) async throws -> [Result<Void, Error>] {
        try await Self.runBatch(batch, begin: "BEGIN IMMEDIATE") { query in try self.execute(query) }
    }

    func close() async throws {
        await withTaskExecutorPreference(thread) {
            for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
            statements = [:]
            sqlite_nio_sqlite3_close(handle)
        }
        thread.stop()
    }

    /// Runs one statement to its end; true when it produced a row.
    private func execute(_ query: SQLQueryString) throws -> Bool {
        var serializer = SQLSerializer(database: dialectDatabase)
        query.serialize(to: &serializer)
        let statement = try prepared(serializer.sql)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        for (offset, value) in serializer.binds.enumerated() {
            try bind(value, at: Int32(offset + 1), to: statement)
        }
        var producedRow = false
        while true {
            let result = sqlite_nio_sqlite3_step(statement)
            switch result {
            case SQLITE_ROW: producedRow = true
            case SQLITE_DONE: return producedRow
            default: throw DirectSQLiteError(handle: handle)
            }
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
            throw DirectSQLiteError(handle: handle)
        }
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: any Encodable & Sendable, at index: Int32, to statement: OpaquePointer) throws {
        var value: Any = value
        if let optional = value as? any OptionalBind {
            guard let wrapped = optional.wrappedBind else {
                try check(sqlite_nio_sqlite3_bind_null(statement, index))
                return
            }
            value = wrapped
        }
        switch value {
        case let text as String:
            try check(sqlite_nio_sqlite3_bind_text64(statement, index, text, UInt64(text.utf8.count), transient, UInt8(SQLITE_UTF8)))
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

/// A thread of its own that runs the tasks which prefer it, one job at a time.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    init(name: String) {
        // The thread holds the executor until stop(): a job may still be queued when the last
        // reference elsewhere goes.
        let thread = Thread { self.loop() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty && stopped {
                condition.unlock()
                return
            }
            let ready = jobs
            jobs = []
            condition.unlock()
            for job in ready { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
