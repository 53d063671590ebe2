import Foundation
import SQLKit

/// One statement of a write. With `refusal`, the statement must return a row (it ends in
/// `RETURNING`); when it returns none, the write is refused with that reason and undone.
struct WriteStep: Sendable {
    let sql: WriteSQL
    let refusal: WriteRefusal?

    init(_ sql: WriteSQL, refusedUnlessRow refusal: WriteRefusal? = nil) {
        self.sql = sql
        self.refusal = refusal
    }
}

/// Why a write was refused by the database's answer rather than by an error.
enum WriteRefusal: Error, Sendable {
    case staleVersion(incidentID: String, expected: Int)
    case keyTaken(String)
    case jurisdictionExists(String)
    case loginTaken(String)
    case notFound(String)
}

/// Runs a group of writes in one transaction: each write's steps in order, each write in its own
/// savepoint when there are several, so one refused or failing write is undone alone. Answers each
/// write's result, or throws when the transaction as a whole failed (then nothing of it stands).
protocol TransactionRunner: Sendable {
    func run(_ batch: [[WriteStep]]) async throws -> [Result<Void, Error>]
    /// Where the writer's loop should run (SQLite: the thread that owns the connection).
    var executor: (any TaskExecutor)? { get }
    func close() async throws
}

extension TransactionRunner {
    /// BEGIN, the writes, COMMIT; ROLLBACK on any failure of the whole.
    ///
    /// A write that may be refused (a version check, an idempotency key) runs in a savepoint so it
    /// can be undone alone. One that may not (a new incident, a new row) runs without: that saves
    /// two statements per write, each a round trip on PostgreSQL. Should one of those fail after
    /// all, the transaction is rolled back and the group run again with every write in a savepoint,
    /// so the failure stays with its own write and the others still commit.
    static func runBatch(_ batch: [[WriteStep]], begin: WriteSQL,
                         execute: (WriteSQL) async throws -> Bool) async throws -> [Result<Void, Error>] {
        do {
            return try await runBatch(batch, begin: begin, guardingAll: false, execute: execute)
        } catch is UnguardedWriteFailed {
            return try await runBatch(batch, begin: begin, guardingAll: true, execute: execute)
        }
    }

    private static func runBatch(_ batch: [[WriteStep]], begin: WriteSQL, guardingAll: Bool,
                                 execute: (WriteSQL) async throws -> Bool) async throws -> [Result<Void, Error>] {
        func runSteps(_ steps: [WriteStep]) async throws {
            for step in steps {
                let producedRow = try await execute(step.sql)
                if let refusal = step.refusal, !producedRow { throw refusal }
            }
        }
        var results: [Result<Void, Error>] = []
        do {
            _ = try await execute(begin)
            if batch.count == 1 {
                try await runSteps(batch[0])
                results.append(.success(()))
            } else {
                for steps in batch {
                    guard guardingAll || steps.contains(where: { $0.refusal != nil }) else {
                        do {
                            try await runSteps(steps)
                        } catch {
                            throw UnguardedWriteFailed()
                        }
                        results.append(.success(()))
                        continue
                    }
                    _ = try await execute("SAVEPOINT yingji_write")
                    do {
                        try await runSteps(steps)
                        _ = try await execute("RELEASE SAVEPOINT yingji_write")
                        results.append(.success(()))
                    } catch {
                        _ = try await execute("ROLLBACK TO SAVEPOINT yingji_write")
                        _ = try await execute("RELEASE SAVEPOINT yingji_write")
                        results.append(.failure(error))
                    }
                }
            }
            _ = try await execute("COMMIT")
        } catch {
            _ = try? await execute("ROLLBACK")
            throw error
        }
        return results
    }
}

/// A write run without a savepoint failed: the group is run again, each write in one.
private struct UnguardedWriteFailed: Error {}

/// PostgreSQL (and any SQLKit database): statements through SQLKit, one after another.
struct SQLKitTransactionRunner: TransactionRunner {
    let database: any SQLDatabase
    let begin: WriteSQL

    func run(_ batch: [[WriteStep]]) async throws -> [Result<Void, Error>] {
        try await Self.runBatch(batch, begin: begin) { sql in
            try await !database.raw(sql.query).all().isEmpty
        }
    }

    var executor: (any TaskExecutor)? { nil }
    func close() async throws {}
}
