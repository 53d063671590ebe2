import Foundation
import SQLKit

/// Every write goes through here: one connection, one writer, and writes that arrive while a
/// commit is on its way to disk are committed together in the next transaction (group commit).
///
/// A write is a list of statements (`WriteStep`s), so the whole group can run where the
/// connection lives without a thread switch per statement. Each write runs in its own savepoint,
/// so one that is refused (a stale version, a taken idempotency key) or fails is undone alone
/// while the others in its group commit. A caller is answered only after the COMMIT that holds
/// its write has returned, which with SQLite's `synchronous=FULL` means after the data is on disk.
final class GroupCommitWriter: @unchecked Sendable {
    private struct Job {
        let steps: [WriteStep]
        let continuation: CheckedContinuation<Void, Error>
    }

    /// The connection for maintenance and migrations (SQLKit), not for the hot path.
    let database: any SQLDatabase
    let runner: any TransactionRunner
    private let lock = NSLock()
    private var pending: [Job] = []
    private var draining = false

    init(database: any SQLDatabase, runner: any TransactionRunner) {
        self.database = database
        self.runner = runner
    }

    /// Runs the steps in a transaction shared with whatever else is waiting; returns once committed.
    func write(_ steps: [WriteStep]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            let startDrain: Bool = lock.withLock {
                pending.append(Job(steps: steps, continuation: continuation))
                guard !draining else { return false }
                draining = true
                return true
            }
            if startDrain { Task(executorPreference: runner.executor) { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch: [Job] = lock.withLock {
                let batch = pending
                pending = []
                if batch.isEmpty { draining = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                let results = try await runner.run(batch.map(\.steps))
                for (job, result) in zip(batch, results) { job.continuation.resume(with: result) }
            } catch {
                // The transaction as a whole failed (or the only write in it did): nothing of it stands.
                for job in batch { job.continuation.resume(throwing: error) }
            }
        }
    }
}

/// Read connections, used in turn. With SQLite in WAL mode they read the last committed state
/// while the writer works; they never see a group that has not committed.
///
/// A read of one row, or a page of a list (at most `inPlaceRows` rows), runs where it is asked for:
/// an indexed lookup takes microseconds. A read whose length the data decides (every open
/// incident, every overdue obligation, a whole timeline) runs on threads of its own (`list`):
/// once `serve` has started, Swift's jobs run on the event loops that also serve the sockets, and
/// a long read there would hold up every connection on that loop, event streams included, until
/// it is done. The hop costs: a short list answered a quarter fewer requests under load when
/// every list took it (docs/benchmarks.md), so pages stay in place.
final class ReadConnections: @unchecked Sendable {
    private let databases: [any SQLDatabase]
    private let lock = NSLock()
    private var next = 0
    private var closed = false
    let listThreads: ThreadPoolExecutor

    init(_ databases: [any SQLDatabase], listThreads: Int = 2) {
        precondition(!databases.isEmpty)
        self.databases = databases
        self.listThreads = ThreadPoolExecutor(name: "yingji-lists", threads: listThreads)
    }

    /// Rows a list may ask for and still be read in place (the API's largest page).
    static let inPlaceRows = 500

    /// Runs a read of unbounded size (and the decoding of its rows) on the list threads; with
    /// `rows` at most `inPlaceRows`, in place.
    func list<T: Sendable>(rows: Int = .max, _ read: @Sendable () async throws -> T) async throws -> T {
        guard !lock.withLock({ closed }) else { throw StoreError.closed }
        if rows <= Self.inPlaceRows { return try await read() }
        return try await withTaskExecutorPreference(listThreads) { try await read() }
    }

    func close() {
        lock.withLock { closed = true }
        listThreads.stop()
    }

    var database: any SQLDatabase {
        lock.withLock {
            next = (next + 1) % databases.count
            return databases[next]
        }
    }
}
