import Foundation

extension Incident {
    /// Brings the obligation rows in line with the plan for the current grade, category and
    /// response: new rules get rows, rows whose rule no longer applies become not-applicable
    /// (kept, never deleted), rows whose clock moved get the new deadline.
    mutating func reconcileObligations(plan: Plan, now: Date, ids: IDGenerator) -> [TimelineEvent] {
        let input = ScheduleInput(grade: grade?.grade.flatMap(Grade.init), category: category, knownAt: knownAt,
                                  occurredAt: occurredAt, responseStartedAt: response?.startedAt)
        let scheduled = plan.obligations(for: input)
        var events: [TimelineEvent] = []
        for item in scheduled {
            if let index = obligations.firstIndex(where: { $0.ruleID == item.rule.id }) {
                var row = obligations[index]
                guard row.status != .fulfilled else { continue }
                if row.status == .notApplicable {
                    row.status = .pending
                    row.retiredReason = nil
                    events.append(TimelineEvent("obligation.reactivated", row.payload(["dueAt": .time(item.dueAt)])))
                } else if row.dueAt != item.dueAt {
                    events.append(TimelineEvent("obligation.rescheduled", row.payload(["from": .time(row.dueAt), "to": .time(item.dueAt)])))
                }
                row.startsAt = item.startsAt
                row.dueAt = item.dueAt
                if row.status == .overdue, let due = row.dueAt, due > now { row.status = .pending }
                obligations[index] = row
            } else {
                let row = Obligation(
                    id: ids.next("obl"), ruleID: item.rule.id, trigger: item.rule.trigger, from: item.rule.from, to: item.rule.to,
                    channel: item.rule.channel, withinMinutes: item.rule.withinMinutes, startsAt: item.startsAt, dueAt: item.dueAt,
                    source: item.rule.source.clause, text: item.rule.text, status: .pending, fulfilment: nil, retiredReason: nil
                )
                obligations.append(row)
                events.append(TimelineEvent("obligation.added", row.payload([:])))
            }
        }
        let current = Set(scheduled.map(\.rule.id))
        let gradeName = grade?.grade.flatMap(Grade.init)?.chineseName ?? "未达到分级标准"
        for index in obligations.indices where !current.contains(obligations[index].ruleID) {
            guard obligations[index].status == .pending || obligations[index].status == .overdue else { continue }
            obligations[index].status = .notApplicable
            obligations[index].retiredReason = "按当前情况（\(gradeName)）不再适用"
            events.append(TimelineEvent("obligation.retired", obligations[index].payload(["reason": .optional(obligations[index].retiredReason)])))
        }
        return events
    }

    /// Marks every pending obligation whose deadline has passed as overdue. A 补报 window that
    /// has closed becomes not-applicable instead: it was a window, not a task.
    public mutating func markOverdue(now: Date) -> [TimelineEvent] {
        guard status != .archived else { return [] }
        var events: [TimelineEvent] = []
        for index in obligations.indices {
            guard obligations[index].status == .pending, let due = obligations[index].dueAt, due <= now else { continue }
            if obligations[index].trigger == .casualtyChange {
                obligations[index].status = .notApplicable
                obligations[index].retiredReason = "补报期限已过"
                events.append(TimelineEvent("obligation.window_closed", obligations[index].payload([:])))
            } else {
                obligations[index].status = .overdue
                events.append(TimelineEvent("obligation.overdue", obligations[index].payload([:])))
            }
        }
        if !events.isEmpty { updatedAt = now }
        return events
    }

    /// Pending obligations falling due after `now` and no later than `lead` seconds from it, the
    /// soonest first: what a duty officer should be reminded of before it turns overdue. A 补报
    /// window is not a deadline to meet and is left out; so is every obligation of an archived incident.
    public func obligationsDueSoon(now: Date, lead: TimeInterval) -> [Obligation] {
        guard status.isOpen, lead > 0 else { return [] }
        return obligations.filter { obligation in
            guard obligation.status == .pending, obligation.trigger != .casualtyChange, let due = obligation.dueAt else { return false }
            return due > now && due <= now.addingTimeInterval(lead)
        }.sorted { ($0.dueAt ?? .distantFuture, $0.id) < ($1.dueAt ?? .distantFuture, $1.id) }
    }

    /// When the next pending obligation not yet within `lead` of `now` comes within it: what
    /// `obligationsDueSoon` will add next, unless the incident changes first. Nil when nothing will.
    public func nextDueSoonStart(after now: Date, lead: TimeInterval) -> Date? {
        guard status.isOpen, lead > 0 else { return nil }
        let horizon = now.addingTimeInterval(lead)
        return obligations.compactMap { obligation -> Date? in
            guard obligation.status == .pending, obligation.trigger != .casualtyChange, let due = obligation.dueAt, due > horizon else { return nil }
            return due.addingTimeInterval(-lead)
        }.min()
    }

    /// Records that an obligation was met, with who, when, how and a reference.
    public mutating func fulfil(_ obligationID: String, by actor: String, channel: Channel, reference: String, now: Date) throws -> [TimelineEvent] {
        try ensureWritable()
        guard let index = obligations.firstIndex(where: { $0.id == obligationID }) else {
            throw IncidentError(.notFound, "obligation.not_found", "本事故没有报送事项 \(obligationID)", field: "obligationID")
        }
        let row = obligations[index]
        guard row.status == .pending || row.status == .overdue else {
            throw IncidentError(.conflict, "obligation.closed", "该报送事项状态为「\(row.status.chineseName)」，不能再标记完成")
        }
        guard row.channel.accepts(channel) else {
            throw IncidentError(.invalid, "obligation.channel", "该事项须以「\(row.channel.chineseName)」方式完成（\(row.source)）", field: "channel")
        }
        let trimmed = reference.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw IncidentError(.invalid, "obligation.reference", "须填写凭据：电话记录编号、文号或报告内容", field: "reference")
        }
        let late = row.dueAt.map { now > $0 } ?? false
        obligations[index].status = .fulfilled
        obligations[index].fulfilment = Fulfilment(by: actor, at: now, channel: channel, reference: trimmed, late: late)
        updatedAt = now
        return [TimelineEvent("obligation.fulfilled", row.payload(["channel": .string(channel.rawValue), "reference": .string(trimmed), "late": .bool(late)]))]
    }
}

extension Channel {
    /// Whether fulfilling by `other` satisfies an obligation asking for `self`.
    public func accepts(_ other: Channel) -> Bool {
        switch self {
        case .phoneOrWritten: return other == .phone || other == .written || other == .phoneOrWritten
        default: return other == self
        }
    }
}

extension Obligation {
    func payload(_ extra: [String: JSONValue]) -> JSONValue {
        var fields: [String: JSONValue] = [
            "obligationID": .string(id), "ruleID": .string(ruleID), "to": .string(to),
            "dueAt": .time(dueAt), "source": .string(source),
        ]
        fields.merge(extra) { _, new in new }
        return .object(fields)
    }
}

extension Incident {
    /// 更正 — a correction of an earlier timeline entry. The entry itself is never changed; the
    /// correction is a new entry that points at it (`corrects`) and says why and what is right.
    public mutating func correct(entry sequence: Int, lastSequence: Int, reason: String, correction: String, now: Date) throws -> [TimelineEvent] {
        try ensureWritable()
        guard (1...max(1, lastSequence)).contains(sequence), lastSequence > 0 else {
            throw IncidentError(.invalid, "correction.unknown_entry", "时间线中没有第 \(sequence) 条记录（共 \(lastSequence) 条）", field: "corrects")
        }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        let correction = correction.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw IncidentError(.invalid, "correction.reason", "须写明更正原因", field: "reason") }
        guard !correction.isEmpty else { throw IncidentError(.invalid, "correction.text", "须写明更正后的内容", field: "correction") }
        updatedAt = now
        return [TimelineEvent("record.corrected", ["reason": .string(reason), "correction": .string(correction)], corrects: sequence)]
    }
}
