import Foundation
import SQLKit

/// Every write goes through here: one connection, one writer, and writes that arrive while a
/// commit is on its way to disk are committed together in the next transaction (group commit).
///
/// Each write runs inside its own savepoint, so one that fails (a stale version, a taken
/// idempotency key) is undone alone while the others in its group commit. A caller is answered
/// only after the COMMIT that holds its write has returned, which with SQLite's
/// `synchronous=FULL` means after the data is on disk.
final class GroupCommitWriter: @unchecked Sendable {
    typealias Work = @Sendable (any SQLDatabase) async throws -> Void

    private struct Job {
        let work: Work
        let continuation: CheckedContinuation<Void, Error>
    }

    let database: any SQLDatabase
    private let begin: SQLQueryString
    private let lock = NSLock()
    private var pending: [Job] = []
    private var draining = false

    init(database: any SQLDatabase, engine: SQLEngine) {
        self.database = database
        begin = engine == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN"
    }

    /// Runs `work` in a transaction shared with whatever else is waiting; returns once committed.
    func write(_ work: @escaping Work) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            let startDrain: Bool = lock.withLock {
                pending.append(Job(work: work, continuation: continuation))
                guard !draining else { return false }
                draining = true
                return true
            }
            if startDrain { Task { await self.drain() } }
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
            await commit(batch)
        }
    }

    private func commit(_ batch: [Job]) async {
        var results: [Result<Void, Error>] = []
        do {
            try await database.raw(begin).run()
            if batch.count == 1 {
                try await batch[0].work(database)
                results.append(.success(()))
            } else {
                for job in batch { results.append(try await runInSavepoint(job.work)) }
            }
            try await database.raw("COMMIT").run()
        } catch {
            // The transaction as a whole failed (or the only write in it did): nothing of it stands.
            try? await database.raw("ROLLBACK").run()
            for job in batch { job.continuation.resume(throwing: error) }
            return
        }
        for (job, result) in zip(batch, results) { job.continuation.resume(with: result) }
    }

    /// The write's own failure is returned; a failure of the savepoint machinery is thrown.
    private func runInSavepoint(_ work: Work) async throws -> Result<Void, Error> {
        try await database.raw("SAVEPOINT yingji_write").run()
        do {
            try await work(database)
            try await database.raw("RELEASE SAVEPOINT yingji_write").run()
            return .success(())
        } catch {
            try await database.raw("ROLLBACK TO SAVEPOINT yingji_write").run()
            try await database.raw("RELEASE SAVEPOINT yingji_write").run()
            return .failure(error)
        }
    }
}

/// Read connections, used in turn. With SQLite in WAL mode they read the last committed state
/// while the writer works; they never see a group that has not committed.
final class ReadConnections: @unchecked Sendable {
    private let databases: [any SQLDatabase]
    private let lock = NSLock()
    private var next = 0

    init(_ databases: [any SQLDatabase]) {
        precondition(!databases.isEmpty)
        self.databases = databases
    }

    var database: any SQLDatabase {
        lock.withLock {
            next = (next + 1) % databases.count
            return databases[next]
        }
    }
}
