import Foundation

/// Rendered incident details by (id, version). A read asks the store only for the current version
/// (one indexed lookup) and answers from here when it matches, so a board polling an incident
/// does not decode and re-render it each time. Correct with several servers on one database:
/// the version, not this process's writes, decides whether an entry is current.
final class DetailCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (version: Int, body: Data)] = [:]
    private let capacity: Int

    init(capacity: Int = 2_000) {
        self.capacity = capacity
    }

    func body(id: String, version: Int) -> Data? {
        lock.withLock { entries[id].flatMap { $0.version == version ? $0.body : nil } }
    }

    func store(id: String, version: Int, body: Data) {
        lock.withLock {
            if entries.count >= capacity, entries[id] == nil {
                // Crude but bounded: drop a quarter; entries are rebuilt on the next read.
                for key in entries.keys.prefix(capacity / 4) { entries.removeValue(forKey: key) }
            }
            if let existing = entries[id], existing.version > version { return }
            entries[id] = (version, body)
        }
    }
}
