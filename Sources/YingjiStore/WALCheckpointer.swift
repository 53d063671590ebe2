import Foundation
import SQLKit
import VaporCSQLite

/// Copies the SQLite WAL back into the database file on a thread and connection of its own, so
/// the writer's commits no longer stop for it.
///
/// Left to itself SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that
/// commit copies the pages and syncs the database file before it returns, and every report in
/// the group, and every one queued behind it, waits for it (about 9 ms on this machine, against
/// 0.6 ms for a plain commit; docs/benchmarks.md). Here the writer only reports the WAL's length
/// after each commit (`committed(framesInLog:)`), and:
///
/// 1. past `threshold` pages, this thread copies what the WAL holds (PASSIVE: it waits for no one,
///    the writer goes on committing meanwhile) and writes the database file to disk;
/// 2. the writer, before its next group, restarts the log (`restartIfDue()`): it copies the few
///    pages committed during step 1 and marks the WAL to be written again from its start, so the
///    file does not grow without end. It waits for no lock there: should a reader still hold an
///    old snapshot (a backup, a long list), it copies what it can and tries again after the next pass.
///
/// Durability is the same as before: a commit is answered only once the WAL holding it is synced,
/// and a checkpoint only ever copies committed pages.
final class WALCheckpointer: @unchecked Sendable {
    /// SQLite's own default for its automatic checkpoint.
    static let defaultThreshold = 1000

    let threshold: Int
    private let databasePath: String
    private let connection: DirectSQLiteConnection
    private let condition = NSCondition()
    private var framesInLog = 0
    private var restartDue = false
    private var stopped = false
    private var finished = false
    /// Pages the last pass left copied (SQLite counts them since the log last started).
    private var copiedByPass = 0
    private var counts = (passes: 0, pagesCopied: 0, restarts: 0, pagesCopiedByWriter: 0)

    /// What was done so far, for tests: passes on this thread and the pages they copied, log
    /// restarts by the writer and the pages it copied itself.
    var done: (passes: Int, pagesCopied: Int, restarts: Int, pagesCopiedByWriter: Int) { condition.withLock { counts } }

    init(path: String, settings: [String], dialect: any SQLDatabase, threshold: Int = WALCheckpointer.defaultThreshold) throws {
        precondition(threshold > 0)
        self.threshold = threshold
        databasePath = path
        connection = try DirectSQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, settings: settings, dialect: dialect)
        do {
            // A connection finds the WAL when it first reads; until then a checkpoint through it does nothing.
            try connection.run(SQLRaw("SELECT COUNT(*) FROM sqlite_master"))
        } catch {
            connection.close()
            throw error
        }
        startNamedThread("yingji-ckpt") { self.loop() }
    }

    /// The writer's commit left `framesInLog` pages in the WAL (called on the writer's thread).
    func committed(framesInLog frames: Int) {
        condition.lock()
        framesInLog = frames
        let wake = frames >= threshold && !restartDue
        condition.unlock()
        if wake { condition.signal() }
    }

    /// Called by the writer between groups, on its own connection: restarts the log when this
    /// thread has copied it, or when the WAL has grown far past the threshold while this thread
    /// could not keep up (then the writer copies it itself).
    func restartIfDue(on writer: DirectSQLiteConnection) {
        let due: Bool = condition.withLock {
            let due = restartDue || framesInLog >= 8 * threshold
            restartDue = false
            return due
        }
        guard due else { return }
        let (result, _, copied) = writer.checkpoint(SQLITE_CHECKPOINT_RESTART, wait: false)
        condition.withLock {
            counts.pagesCopiedByWriter += newlyCopied(copied)
            if result & 0xFF == SQLITE_OK {
                counts.restarts += 1
                copiedByPass = 0
            } else {
                copiedByPass = max(copiedByPass, copied)
            }
        }
        // A refused restart (a reader on an old snapshot, this thread mid-pass) is tried again
        // after the next pass; the pages it could copy are copied.
    }

    private func loop() {
        while true {
            condition.lock()
            while !stopped && (framesInLog < threshold || restartDue) { condition.wait() }
            if stopped {
                finished = true
                condition.unlock()
                condition.broadcast()
                return
            }
            condition.unlock()
            let (result, _, copied) = connection.checkpoint(SQLITE_CHECKPOINT_PASSIVE, wait: false)
            let primary = result & 0xFF  // without the extended part (the connection asks for extended codes)
            // SQLite syncs the database file only when a pass has caught up with the WAL's end,
            // which under steady writes it rarely has: then the writer's restart would sync all
            // this pass wrote. Synced here instead, the restart's own sync finds little to write.
            if primary == SQLITE_OK { Self.sync(databasePath) }
            condition.withLock {
                counts.passes += 1
                counts.pagesCopied += newlyCopied(copied)
                copiedByPass = max(copiedByPass, copied)
                // Once copied, the writer restarts the log; until it has, no new pass. After a
                // failure (an I/O error), the next commit's report starts the next try.
                restartDue = primary == SQLITE_OK || primary == SQLITE_BUSY
                framesInLog = 0
            }
        }
    }

    /// Pages a checkpoint that left `copied` copied has copied beyond the last pass (under the
    /// lock). A count below the last pass's means the log had started again meanwhile.
    private func newlyCopied(_ copied: Int) -> Int {
        if copied < copiedByPass { copiedByPass = 0 }
        return copied - copiedByPass
    }

    /// Writes the database file's pages to disk (an early start on what the writer's restart
    /// syncs; nothing depends on it succeeding).
    private static func sync(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    /// Stops the thread (after any pass under way) and closes its connection.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
        connection.close()
    }
}
