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
    /// Publishes `obligation.due_soon` for every pending obligation of an open incident falling due
    /// within the reminder lead (`serve --due-soon-minutes`), once per deadline; returns what it
    /// announced (by incident id: a first check over many open incidents holds none of them).
    /// Called by every sweep; looks at the store at most every `checkEvery` seconds.
    @discardableResult
    public func announceDueSoon(pageSize: Int = IncidentService.passPageSize) async throws -> [(incidentID: String, obligation: Obligation)] {
        let now = clock.now()
        guard dueSoon.shouldCheck(at: now) else { return [] }
        // The sweep's index (each open incident's earliest pending deadline) finds every incident
        // with an obligation due by then; the rest are never read, and these a page at a time.
        var announced: [(incidentID: String, obligation: Obligation)] = []
        try await store.incidents.forEachPage(IncidentQuery(openOnly: true, pendingDueBy: now.addingTimeInterval(dueSoon.lead)), pageSize: pageSize) { candidates in
            for incident in candidates {
                for obligation in incident.obligationsDueSoon(now: now, lead: dueSoon.lead) where dueSoon.claim(obligation) {
                    guard case .object(var fields) = IncidentView.obligation(obligation, incident: incident) else { continue }
                    fields["secondsLeft"] = .int(Int64(max(0, (obligation.dueAt ?? now).timeIntervalSince(now)).rounded()))
                    // Every server makes these reminders for its own boards from the shared data: not relayed.
                    events.publish("obligation.due_soon", .object(fields), access: incident.access, relay: false)
                    announced.append((incident.id, obligation))
                }
            }
        }
        return announced
    }
}
