import Foundation
import YingjiCore

/// Rendered incident details by (id, version). A read asks the store only for the current version
/// (one indexed lookup) and answers from here when it matches, so a board polling an incident
/// does not decode and re-render it each time. Correct with several servers on one database:
/// the version, not this process's writes, decides whether an entry is current.
final class DetailCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    /// The rendered body and who may see it (which never changes for an incident).
    struct Entry {
        let version: Int
        let access: IncidentAccess
        let body: Data
    }
    private let capacity: Int

    init(capacity: Int = 2_000) {
        self.capacity = capacity
    }

    func entry(id: String, version: Int) -> Entry? {
        lock.withLock { entries[id].flatMap { $0.version == version ? $0 : nil } }
    }

    func store(id: String, version: Int, access: IncidentAccess, body: Data) {
        lock.withLock {
            if entries.count >= capacity, entries[id] == nil {
                // Crude but bounded: drop a quarter; entries are rebuilt on the next read.
                for key in entries.keys.prefix(capacity / 4) { entries.removeValue(forKey: key) }
            }
            if let existing = entries[id], existing.version > version { return }
            entries[id] = Entry(version: version, access: access, body: body)
        }
    }
}
