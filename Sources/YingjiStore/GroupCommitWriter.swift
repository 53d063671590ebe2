import Foundation
import NIOCore
import NIOPosix
import SQLKit

/// Every write goes through here: one connection, one writer, and writes that arrive while a
/// commit is on its way to disk are committed together in the next transaction (group commit).
///
/// A write is a list of statements (`WriteStep`s), so the whole group can run where the
/// connection lives without a thread switch per statement. Each write runs in its own savepoint,
/// so one that is refused (a stale version, a taken idempotency key) or fails is undone alone
/// while the others in its group commit. A caller is answered only after the COMMIT that holds
/// its write has returned, which with SQLite's `synchronous=FULL` means after the data is on disk.
///
/// A caller waiting on one of NIO's event loops (a request's handler, once `serve` runs Swift's
/// jobs there) is resumed on that loop, the one its connection lives on, with one hop per loop
/// for the whole group: resumed from the writer's thread it would go to whichever loop was next,
/// and its answer would then hop back to the connection's loop to be written.
final class GroupCommitWriter: @unchecked Sendable {
    private struct Job {
        let steps: [WriteStep]
        let continuation: CheckedContinuation<Void, Error>
        let loop: (any EventLoop)?
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
            let loop = Self.callersLoop()
            let startDrain: Bool = lock.withLock {
                pending.append(Job(steps: steps, continuation: continuation, loop: loop))
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
                Self.resume(batch, with: try await runner.run(batch.map(\.steps)))
            } catch {
                // The transaction as a whole failed (or the only write in it did): nothing of it stands.
                Self.resume(batch, with: Array(repeating: .failure(error), count: batch.count))
            }
        }
    }

    /// The event loop the calling thread runs, when it is one of the singleton group's (the group
    /// `serve` answers on, which is never shut down, so a resumption sent to it always runs).
    private static func callersLoop() -> (any EventLoop)? {
        guard let loop = MultiThreadedEventLoopGroup.currentEventLoop,
              singletonLoops.contains(where: { $0 === loop }) else { return nil }
        return loop
    }

    private static let singletonLoops: [any EventLoop] = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())

    /// Answers each job: those waiting on an event loop from that loop, one hop per loop; the others here.
    private static func resume(_ batch: [Job], with results: [Result<Void, Error>]) {
        var byLoop: [(loop: any EventLoop, waiting: [(CheckedContinuation<Void, Error>, Result<Void, Error>)])] = []
        for (job, result) in zip(batch, results) {
            guard let loop = job.loop else {
                job.continuation.resume(with: result)
                continue
            }
            if let index = byLoop.firstIndex(where: { $0.loop === loop }) {
                byLoop[index].waiting.append((job.continuation, result))
            } else {
                byLoop.append((loop, [(job.continuation, result)]))
            }
        }
        for (loop, waiting) in byLoop {
            loop.execute { for (continuation, result) in waiting { continuation.resume(with: result) } }
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
