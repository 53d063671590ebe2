import Foundation

/// The stored form of recently written incidents, so a write's answer reuses its row's encoding
/// instead of encoding the incident a second time (the row has dates as numbers, the answer as
/// text: `DatedJSON.withTimestamps`). A kept form is used only for an incident equal to the one
/// it was made from, so it never stands for another state of the incident, whichever request or
/// writer made it. (Equal, not identical: a dictionary inside may list its keys in another order,
/// and text equal by Unicode canonical equivalence counts as equal; the JSON means the same.)
/// Bounded: when full, it starts again empty.
public final class IncidentRows: @unchecked Sendable {
    public static let shared = IncidentRows(capacity: 256)

    private let capacity: Int
    private let lock = NSLock()
    private var entries: [String: (incident: Incident, row: DatedJSON)] = [:]
    /// How many calls were answered from a kept row (for tests).
    private var hits = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The incident encoded as stored, with where its dates are: kept from an earlier call for an
    /// equal incident, or encoded now and kept.
    public func row(for incident: Incident) throws -> DatedJSON {
        let kept = lock.withLock { () -> DatedJSON? in
            guard let entry = entries[incident.id], entry.incident == incident else { return nil }
            hits += 1
            return entry.row
        }
        if let kept { return kept }
        let row = try JSONBytesEncoder.encodeDated(incident)
        lock.withLock {
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[incident.id] = (incident, row)
        }
        return row
    }

    var count: Int { lock.withLock { entries.count } }
    var hitCount: Int { lock.withLock { hits } }
}
