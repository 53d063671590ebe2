import Foundation
import YingjiCore

/// Which obligations have been announced as falling due soon (`obligation.due_soon`), so each is
/// announced once per deadline: again only if its deadline moves (a re-grade reschedules it).
/// Kept in memory: after a restart a reminder still ahead may be sent once more, which is harmless;
/// one never sent is not.
final class DueSoonNotices: @unchecked Sendable {
    /// How far ahead of a deadline the reminder goes out (seconds); 0: no reminders.
    let lead: TimeInterval
    /// Open incidents are looked through at most this often (seconds of the server's clock): every
    /// 15 s, or every `lead` seconds when the lead is shorter, so no deadline is within the lead
    /// for a whole interval without a check.
    let checkEvery: TimeInterval
    private let lock = NSLock()
    private var announced: [String: Date] = [:]
    private var lastCheck: Date?
    /// Incidents a check read and left with nothing more to announce: the version it read, and
    /// when its next deadline comes within the lead. Until then, and unchanged, they are not read.
    private var quiet: [String: (version: Int, until: Date)] = [:]
    private var read = 0

    init(lead: TimeInterval) {
        self.lead = lead
        checkEvery = min(15, lead)
    }

    /// True when a check is due at `now` (and records it as made).
    func shouldCheck(at now: Date) -> Bool {
        guard lead > 0 else { return false }
        return lock.withLock {
            if let lastCheck, now >= lastCheck, now < lastCheck.addingTimeInterval(checkEvery) { return false }
            lastCheck = now
            // Deadlines already passed are the overdue sweep's business now.
            announced = announced.filter { $0.value > now }
            return true
        }
    }

    /// False for an incident read before that has not changed since and has nothing coming within
    /// the lead yet; true for any other (and counts it as read).
    func needsReading(_ id: String, version: Int, at now: Date) -> Bool {
        lock.withLock {
            if let known = quiet[id], known.version == version, now < known.until { return false }
            read += 1
            return true
        }
    }

    /// After `incident` was read and announced at `now`: quiet until its next deadline comes within the lead.
    func checked(_ incident: Incident, at now: Date) {
        let until = incident.nextDueSoonStart(after: now, lead: lead) ?? .distantFuture
        lock.withLock { quiet[incident.id] = (incident.version, until) }
    }

    /// Forgets the incidents a check no longer found among the candidates.
    func keepOnly(_ ids: Set<String>) {
        lock.withLock { quiet = quiet.filter { ids.contains($0.key) } }
    }

    /// How many incidents the checks have read whole since the server started.
    var incidentsRead: Int { lock.withLock { read } }

    /// Records the obligation as announced; false when it already was, for this same deadline.
    func claim(_ obligation: Obligation) -> Bool {
        guard let due = obligation.dueAt else { return false }
        return lock.withLock {
            if announced[obligation.id] == due { return false }
            announced[obligation.id] = due
            return true
        }
    }
}

extension Server {
    /// How many incidents the due-soon checks have read whole since the server started (the
    /// others they passed over unchanged, by version alone).
    public var dueSoonIncidentsRead: Int { dueSoon.incidentsRead }

    /// Publishes `obligation.due_soon` for every pending obligation of an open incident falling due
    /// within the reminder lead (`serve --due-soon-minutes`), once per deadline; returns what it
    /// announced (by incident id: a first check over many open incidents holds none of them).
    /// Called by every sweep; looks at the store at most every `checkEvery` seconds.
    @discardableResult
    public func announceDueSoon(pageSize: Int = 200) async throws -> [(incidentID: String, obligation: Obligation)] {
        let now = clock.now()
        guard dueSoon.shouldCheck(at: now) else { return [] }
        // The sweep's index (each open incident's earliest pending deadline) lists every incident
        // with an obligation due by then, by id and version; the rest are never looked at. Of
        // those, only the ones that changed or have a deadline newly within the lead are read
        // whole, `pageSize` at a time.
        var announced: [(incidentID: String, obligation: Obligation)] = []
        let candidates = try await store.incidents.versions(IncidentQuery(openOnly: true, pendingDueBy: now.addingTimeInterval(dueSoon.lead), limit: Int.max))
        let stale = candidates.filter { dueSoon.needsReading($0.id, version: $0.version, at: now) }.map(\.id)
        let size = max(1, pageSize)
        for start in stride(from: 0, to: stale.count, by: size) {
            let page = Array(stale[start..<min(stale.count, start + size)])
            for incident in try await store.incidents.incidents(ids: page).sorted(by: { $0.id < $1.id }) {
                for obligation in incident.obligationsDueSoon(now: now, lead: dueSoon.lead) where dueSoon.claim(obligation) {
                    guard case .object(var fields) = IncidentView.obligation(obligation, incident: incident) else { continue }
                    fields["secondsLeft"] = .int(Int64(max(0, (obligation.dueAt ?? now).timeIntervalSince(now)).rounded()))
                    // Every server makes these reminders for its own boards from the shared data: not relayed.
                    events.publish("obligation.due_soon", .object(fields), access: incident.access, relay: false)
                    announced.append((incident.id, obligation))
                }
                dueSoon.checked(incident, at: now)
            }
        }
        dueSoon.keepOnly(Set(candidates.map(\.id)))
        return announced
    }
}
