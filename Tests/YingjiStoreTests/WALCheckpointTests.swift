import Foundation
import SQLKit
import SQLiteKit
import Testing
import VaporCSQLite
@testable import YingjiStore
import YingjiTestSupport

/// The SQLite writer's commits do not checkpoint the WAL; a thread of its own does, and the
/// writer restarts the log between groups, never waiting for a lock to do it.
@Suite(.serialized) struct WALCheckpointTests {
    static let settings = ["PRAGMA synchronous = FULL", "PRAGMA busy_timeout = 5000"]

    /// A new database in WAL mode with one table, and the connection that made it (for its dialect).
    func database() async throws -> (path: String, maintenance: SQLiteConnection) {
        let path = Scratch.path("wal")
        let maintenance = try await SQLiteConnection.open(storage: .file(path: path))
        for statement in ["PRAGMA journal_mode = WAL", "CREATE TABLE t (id INTEGER PRIMARY KEY, data TEXT NOT NULL)"] {
            _ = try await maintenance.sql().raw(SQLQueryString(statement)).all()
        }
        return (path, maintenance)
    }

    /// A connection in a read transaction, holding the snapshot that has `rows` rows in `t`.
    func readerHoldingSnapshot(_ path: String, _ maintenance: SQLiteConnection, rows: Int) throws -> DirectSQLiteConnection {
        let reader = try DirectSQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, settings: [], dialect: maintenance.sql())
        try reader.run(SQLRaw("BEGIN"))
        var seen = 0
        try reader.run(SQLRaw("SELECT COUNT(*) AS n FROM t")) { row in seen = (try? row.decode(column: "n", as: Int.self)) ?? -1 }
        #expect(seen == rows)
        return reader
    }

    func walFrames(_ path: String) -> Int {
        let size = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        return max(0, size - 32) / (4096 + 24)
    }

    /// About 2,400 pages go through the WAL; with the checkpoint at 64 pages it is copied and
    /// started again over and over, and never holds more than a few hundred. Without the
    /// checkpointer (its hook replaces SQLite's automatic checkpoint) it would hold them all.
    @Test func theWALIsCopiedAndRestartedWhileTheWriterGoesOn() async throws {
        let (path, maintenance) = try await database()
        let runner = try DirectSQLiteRunner(path: path, settings: Self.settings, dialect: maintenance.sql(), checkpointThreshold: 64)
        let text = String(repeating: "应急", count: 500)  // 3,000 bytes: about one page a row
        var largest = 0
        for group in 0..<300 {
            let writes = (0..<8).map { row in [WriteStep("INSERT INTO t (id, data) VALUES (\(bind: group * 8 + row), \(bind: text))")] }
            let results = try await runner.run(writes)
            #expect(results.allSatisfy { if case .success = $0 { true } else { false } })
            largest = max(largest, walFrames(path))
        }
        let done = runner.checkpointer.done
        try await runner.close()
        #expect(done.passes > 0)
        #expect(done.restarts > 0)
        // The copying is the thread's; the writer copies only what came in during a pass.
        #expect(done.pagesCopied > 1_000)
        #expect(done.pagesCopiedByWriter < done.pagesCopied / 2, "\(done)")
        #expect(largest > 64, "the WAL did fill past the threshold")
        #expect(largest < 1_000, "the WAL held \(largest) pages at most of about 2,400 written")
        // Every row is there, read through a connection of its own.
        let rows = try await maintenance.sql().raw("SELECT COUNT(*) AS n, SUM(LENGTH(data)) AS size FROM t").all()
        #expect(try rows[0].decode(column: "n", as: Int.self) == 2_400)
        #expect(try rows[0].decode(column: "size", as: Int.self) == 2_400 * 1_000)
        try await maintenance.close()
    }

    #if os(Linux)
    /// The store's own threads go by their names in `top -H` and `perf` (a name past 15 bytes
    /// would be refused, and the thread would keep its creator's).
    @Test func theStoresThreadsAreNamed() async throws {
        let store = try await Store.open(path: Scratch.path("names"))
        let names = Set(((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).compactMap { task in
            (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        })
        try await store.close()
        #expect(names.isSuperset(of: ["yingji-writer", "yingji-ckpt", "yingji-lists-1", "yingji-lists-2"]), "\(names.sorted())")
    }
    #endif

    /// A reader on an old snapshot (a backup, a long list) keeps the log from restarting. The
    /// writer's restarts, due again and again past the threshold, give up at once each time
    /// instead of waiting out the writer's two-minute busy timeout (had one waited, the writes
    /// would stall here: the reader lets go only after them; the time limit records the failure
    /// and the next write stops the test), and every write goes through; once the reader is
    /// done, the log restarts.
    @Test(.timeLimit(.minutes(1))) func theWritersRestartNeverWaitsForAReader() async throws {
        let (path, maintenance) = try await database()
        let runner = try DirectSQLiteRunner(path: path, settings: ["PRAGMA synchronous = FULL", "PRAGMA busy_timeout = 120000"],
                                            dialect: maintenance.sql(), checkpointThreshold: 8)
        _ = try await runner.run([[WriteStep("INSERT INTO t (id, data) VALUES (0, 'a')")]])
        let reader = try readerHoldingSnapshot(path, maintenance, rows: 1)
        let text = String(repeating: "应急", count: 500)
        func write(_ ids: ClosedRange<Int>) async throws {
            for id in ids {
                try Task.checkCancellation()  // past the time limit: stop, do not wait out every write
                let results = try await runner.run([[WriteStep("INSERT INTO t (id, data) VALUES (\(bind: id), \(bind: text))")]])
                #expect(results.allSatisfy { if case .success = $0 { true } else { false } })
            }
        }
        try await write(1...200)
        let during = runner.checkpointer.done
        #expect(during.passes > 0)
        #expect(during.restarts == 0, "\(during)")
        #expect(walFrames(path) > 200, "the log kept every page while the reader held its snapshot")
        try reader.run(SQLRaw("COMMIT"))
        try await write(201...400)
        #expect(runner.checkpointer.done.restarts > 0)
        reader.close()
        try await runner.close()
        let rows = try await maintenance.sql().raw("SELECT COUNT(*) AS n FROM t").all()
        #expect(try rows[0].decode(column: "n", as: Int.self) == 401)
        try await maintenance.close()
    }

    /// A checkpoint told not to wait answers BUSY at once where a reader holds an old snapshot,
    /// and leaves the connection's busy timeout as it was (as set by a PRAGMA after opening, too).
    @Test(.timeLimit(.minutes(1))) func aCheckpointThatMayNotWaitGivesUpAtOnce() async throws {
        let (path, maintenance) = try await database()
        // Two minutes of busy timeout, past the test's time limit: a restart that waited for the
        // reader would have a failure recorded at the limit, and return when the timeout ran out.
        let runner = try DirectSQLiteRunner(path: path, settings: ["PRAGMA synchronous = FULL", "PRAGMA busy_timeout = 120000"],
                                            dialect: maintenance.sql(), checkpointThreshold: 1_000_000)
        _ = try await runner.run([[WriteStep("INSERT INTO t (id, data) VALUES (1, 'a')")]])
        let reader = try readerHoldingSnapshot(path, maintenance, rows: 1)
        _ = try await runner.run([[WriteStep("INSERT INTO t (id, data) VALUES (2, 'b')")]])

        let writer = try DirectSQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                                settings: ["PRAGMA busy_timeout = 1000"], dialect: maintenance.sql())
        try writer.run(SQLRaw("PRAGMA busy_timeout = 120000"))
        try writer.run(SQLRaw("SELECT COUNT(*) FROM t"))  // finds the WAL
        let restart = writer.checkpoint(SQLITE_CHECKPOINT_RESTART, wait: false)
        #expect(restart.result == SQLITE_BUSY)
        #expect(restart.log > 0)
        var timeout = 0
        try writer.run(SQLRaw("PRAGMA busy_timeout")) { row in timeout = (try? row.decode(column: "timeout", as: Int.self)) ?? -1 }
        #expect(timeout == 120_000)
        _ = try await runner.run([[WriteStep("INSERT INTO t (id, data) VALUES (3, 'c')")]])

        // Once the reader is done, the same restart goes through.
        try reader.run(SQLRaw("COMMIT"))
        let after = writer.checkpoint(SQLITE_CHECKPOINT_RESTART, wait: false)
        #expect(after.result == SQLITE_OK)
        #expect(after.copied == after.log)
        writer.close()
        reader.close()
        try await runner.close()
        try await maintenance.close()
    }
}
