import Foundation
import Logging
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit
import YingjiCore

/// An open database: the incident repository over it and a way to close it.
///
/// `open(path:)` gives the embedded SQLite store (WAL, synchronous=FULL: a commit is on disk
/// before it returns); `open(postgresURL:)` the same repository on PostgreSQL. Migrations run on open.
public final class Store: Sendable {
    public let incidents: SQLIncidentRepository
    public let jurisdictions: SQLJurisdictionRepository
    public let accounts: SQLAccountRepository
    public let warnings: SQLWarningRepository
    public let engine: SQLEngine
    /// LISTEN/NOTIFY among servers sharing the database (PostgreSQL); nil on SQLite.
    public let notifications: NotificationChannel?
    private let closer: @Sendable () async throws -> Void

    /// How many connections serve reads beside the one that writes (PostgreSQL; SQLite reads open
    /// connections as they are needed, one per thread reading at once).
    public static let readConnections = 2

    init(writer: GroupCommitWriter, reads: ReadConnections, engine: SQLEngine, notifications: NotificationChannel?,
         closer: @escaping @Sendable () async throws -> Void) {
        incidents = SQLIncidentRepository(writer: writer, reads: reads, engine: engine)
        jurisdictions = SQLJurisdictionRepository(writer: writer, reads: reads)
        accounts = SQLAccountRepository(writer: writer, reads: reads)
        warnings = SQLWarningRepository(writer: writer, reads: reads)
        self.engine = engine
        self.notifications = notifications
        self.closer = closer
    }

    public static func open(path: String, logger: Logger = Logger(label: "yingji.store")) async throws -> Store {
        // The busy timeout first: switching a new file to WAL waits for another process's lock too.
        let settings = ["PRAGMA busy_timeout = 5000", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"]
        // Set once on the first connection, WAL mode stays with the file; the others take the rest.
        let connectionSettings = settings.filter { !$0.contains("journal_mode") }
        return try await prepare(engine: .sqlite, setup: settings, connect: {
            let database = try DirectSQLiteDatabase(path: path, logger: logger, eventLoop: MultiThreadedEventLoopGroup.singleton.any())
            return (database, { database.close() })
        }, runner: { maintenance in
            try DirectSQLiteRunner(path: path, settings: connectionSettings, dialect: maintenance)
        }, reads: { maintenance, _ in
            let reader = try DirectSQLiteReader(path: path, settings: connectionSettings, maintenance: maintenance)
            return [(reader, { @Sendable in reader.close() })]
        })
    }

    /// With `schema`, the tables live in that PostgreSQL schema (created if missing): several
    /// installations, or isolated tests, can share one database.
    public static func open(postgresURL: String, schema: String? = nil, logger: Logger = Logger(label: "yingji.store")) async throws -> Store {
        let configuration = try SQLPostgresConfiguration(url: postgresURL)
        var setup: [String] = []
        if let schema {
            guard NameRule.schema.matches(schema) else {
                throw StoreError.invalidSchema(schema)
            }
            let connection = try await PostgresConnection.connect(configuration: configuration.coreConfiguration, id: 0, logger: logger)
            do {
                try await connection.sql().raw("CREATE SCHEMA IF NOT EXISTS \(unsafeRaw: schema)").run()
                try await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
            setup.append("SET search_path TO \(schema)")
        }
        let notifications = NotificationChannel(schema: schema, configuration: configuration.coreConfiguration, logger: logger)
        return try await prepare(engine: .postgres, setup: setup, notifications: notifications, connect: {
            let connection = try await PostgresConnection.connect(configuration: configuration.coreConfiguration, id: 1, logger: logger)
            return (connection.sql(), { try await connection.close() })
        }, runner: { database in SQLKitTransactionRunner(database: database, begin: "BEGIN") }, reads: { _, connect in
            var reads: [(any SQLDatabase, @Sendable () async throws -> Void)] = []
            do {
                for _ in 0..<readConnections {
                    let (database, close) = try await connect()
                    reads.append((database, close))
                    for statement in setup { _ = try await database.raw(SQLQueryString(statement)).all() }
                }
            } catch {
                for (_, close) in reads { try? await close() }
                throw error
            }
            return reads
        })
    }

    /// Opens the maintenance connection, applies the engine's settings and the migrations, then
    /// the writer's runner and the read connections (`reads`, given the maintenance connection and
    /// a way to connect again); closes whatever it opened if any step fails.
    private static func prepare(engine: SQLEngine, setup: [String], notifications: NotificationChannel? = nil,
                                connect: @escaping () async throws -> (any SQLDatabase, @Sendable () async throws -> Void),
                                runner makeRunner: (any SQLDatabase) throws -> any TransactionRunner,
                                reads makeReads: (any SQLDatabase, () async throws -> (any SQLDatabase, @Sendable () async throws -> Void)) async throws
                                    -> [(any SQLDatabase, @Sendable () async throws -> Void)]) async throws -> Store {
        var closers: [@Sendable () async throws -> Void] = []
        let closeAll: @Sendable ([@Sendable () async throws -> Void]) async -> Void = { list in
            for close in list.reversed() { try? await close() }
        }
        do {
            let (writeDatabase, closeWriter) = try await connect()
            closers.append(closeWriter)
            for statement in setup {
                _ = try await writeDatabase.raw(SQLQueryString(statement)).all()
            }
            try await Migrations.run(on: writeDatabase, engine: engine)
            let runner = try makeRunner(writeDatabase)
            closers.append({ try await runner.close() })
            var readDatabases: [any SQLDatabase] = []
            for (database, close) in try await makeReads(writeDatabase, connect) {
                closers.append(close)
                readDatabases.append(database)
            }
            let reads = ReadConnections(readDatabases)
            closers.append({ reads.close() })
            let opened = closers
            // Closed once: a later `close` (a shutdown path and a test's cleanup, say) waits for the first.
            let closing = OnceTask()
            return Store(writer: GroupCommitWriter(database: writeDatabase, runner: runner), reads: reads,
                         engine: engine, notifications: notifications, closer: { await closing.run { await closeAll(opened) } })
        } catch {
            await closeAll(closers)
            throw error
        }
    }

    /// `DATABASE_URL` when set (PostgreSQL), else the SQLite file at `path`.
    public static func open(environment: [String: String] = ProcessInfo.processInfo.environment, sqlitePath path: String) async throws -> Store {
        if let url = environment["DATABASE_URL"], !url.isEmpty { return try await open(postgresURL: url) }
        return try await open(path: path)
    }

    public func close() async throws { try await closer() }

    /// SQLite: writes a consistent copy of the database file at `source` to a new file at
    /// `target` (`VACUUM INTO`: one snapshot, taken while a running server keeps writing). The
    /// source is opened as it is, never migrated, and refused (`StoreError.schemaVersion`) unless
    /// its schema is this build's. PostgreSQL has its own tools (pg_dump).
    public static func backup(sqlitePath source: String, to target: String, busyTimeoutMilliseconds: Int = 5000,
                              logger: Logger = Logger(label: "yingji.store")) async throws {
        let wait = max(0, busyTimeoutMilliseconds)
        let connection = try await SQLiteConnection.open(storage: .file(path: source), logger: logger)
        do {
            let database = connection.sql()
            try await database.raw("PRAGMA busy_timeout = \(unsafeRaw: String(wait))").run()
            do {
                // Only a file without the migrations table (or not SQLite's at all) is "not Yingji's":
                // a lock held too long, a read error, are told as what they are.
                let hasMigrations: Bool
                do {
                    hasMigrations = try await !database.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'yingji_migrations'").all().isEmpty
                } catch let error as SQLiteError where error.reason == .notADatabase {
                    hasMigrations = false
                }
                let found: Int? = hasMigrations
                    ? try await database.raw("SELECT MAX(version) AS version FROM yingji_migrations").all().first?.decode(column: "version", as: Int?.self) ?? nil
                    : nil
                guard found == Migrations.current else { throw StoreError.schemaVersion(found: found, expected: Migrations.current) }
                try await database.raw("VACUUM INTO \(bind: target)").run()
            } catch let error as SQLiteError where Self.lockedOut.contains(error.reason) {
                throw StoreError.busy(milliseconds: wait)
            }
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// SQLite's answers for a database someone else holds locked past the wait.
    private static let lockedOut: Set<SQLiteError.Reason> = [.busy, .locked, .busyTimeout, .busyInRecovery, .busyInSnapshot, .lockedBySharedCache]

    /// How much the database holds: incidents, warnings and timeline entries (both kinds of chain).
    public func contents() async throws -> (incidents: Int, warnings: Int, entries: Int) {
        let row = try await incidents.reads.database.raw("""
            SELECT (SELECT COUNT(*) FROM incidents) AS incidents, (SELECT COUNT(*) FROM warnings) AS warnings,
                   (SELECT COUNT(*) FROM timeline) AS entries
            """).all().first
        return (try row?.decode(column: "incidents", as: Int.self) ?? 0, try row?.decode(column: "warnings", as: Int.self) ?? 0,
                try row?.decode(column: "entries", as: Int.self) ?? 0)
    }

    /// Recomputes every timeline chain (or one incident's); returns the breaks found.
    public func verifyTimelines(incidentID: String? = nil, hasher: ChainHasher = SHA256ChainHasher()) async throws -> [ChainBreak] {
        var ids = [String]()
        if let incidentID { ids = [incidentID] } else { ids = try await incidents.incidentIDs() }
        var breaks: [ChainBreak] = []
        for id in ids {
            if let found = Timeline.verify(try await incidents.timeline(incidentID: id), hasher: hasher) { breaks.append(found) }
        }
        return breaks
    }
}

/// Runs its work once: the first `run` starts it, and every `run` returns when it has finished.
final class OnceTask: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<Void, Never>?

    func run(_ work: @escaping @Sendable () async -> Void) async {
        let running = lock.withLock {
            if let task { return task }
            let started = Task { await work() }
            task = started
            return started
        }
        await running.value
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case invalidSchema(String)
    case closed
    case schemaVersion(found: Int?, expected: Int)
    /// Another connection (another process, as a rule) held the database locked longer than the wait allowed.
    case busy(milliseconds: Int)
    /// A stored row whose columns this build cannot read (written by hand, or damaged).
    case unreadableRow(String)

    public var description: String {
        switch self {
        case .invalidSchema(let name): return "PostgreSQL schema 名称无效：\(name)（须为小写字母、数字、下划线）"
        case .closed: return "数据库已关闭"
        case .schemaVersion(let found?, let expected):
            return "数据库结构为第 \(found) 版，本程序为第 \(expected) 版：请用与服务同一版本的 yingji 操作"
        case .schemaVersion(nil, _): return "不是 Yingji 的数据库（没有 yingji_migrations 表）"
        case .busy(let milliseconds): return "数据库被其他连接锁住，等了 \(milliseconds) 毫秒仍未释放：请稍后再试"
        case .unreadableRow(let what): return "库中数据无法读取：\(what)"
        }
    }
}
