import Foundation

/// 牵头部门: which department leads the response to this kind of accident. The plan's table
/// (Bachu 2.1.6, and any plan that has one) suggests it at report time; the duty officer
/// confirms it or names another with a reason.
public struct LeadDepartmentRecord: Sendable, Codable, Equatable {
    public struct Suggestion: Sendable, Codable, Equatable {
        /// The plan's sub-case (矿山 / 非矿山 …), nil when the category has one lead.
        public let subCase: String?
        public let units: [String]
        public let source: String
    }

    public var suggestions: [Suggestion]
    public var chosen: [String]?
    public var confirmedBy: String?
    public var confirmedAt: Date?
    /// Why another department than the plan's was chosen.
    public var reason: String?

    /// What the on-site groups take as "the category's department": the chosen units, or the
    /// plan's when it names exactly one set.
    public var units: [String]? { chosen ?? (suggestions.count == 1 ? suggestions[0].units : nil) }

    static func suggested(by plan: Plan, category: String?) -> LeadDepartmentRecord? {
        guard let category, let entry = plan.categories.first(where: { $0.id == category }), !entry.leads.isEmpty else { return nil }
        return LeadDepartmentRecord(suggestions: entry.leads.map { Suggestion(subCase: $0.subCaseName, units: $0.units, source: $0.source.clause) },
                                    chosen: nil, confirmedBy: nil, confirmedAt: nil, reason: nil)
    }
}

extension Incident {
    /// Keeps the suggestion in step with the category; a confirmed choice stays as it was.
    mutating func suggestLeadDepartment(plan: Plan) {
        guard leadDepartment?.chosen == nil else { return }
        leadDepartment = LeadDepartmentRecord.suggested(by: plan, category: category)
        if commandPostIsWorking { commandPost?.resolveLeads(leadDepartment: leadDepartment?.units) }
    }

    /// Confirms the plan's lead department, or names another; another needs a reason.
    public mutating func confirmLeadDepartment(units: [String], reason: String?, actor: String, now: Date) throws -> [TimelineEvent] {
        try ensureWritable()
        if commandPost != nil && !commandPostIsWorking {
            throw IncidentError(.conflict, "lead.closed", "现场处置已结束，牵头部门不再变更")
        }
        let named = units.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard !named.isEmpty else { throw IncidentError(.invalid, "lead.missing", "须写明牵头部门", field: "units") }
        var record = leadDepartment ?? LeadDepartmentRecord(suggestions: [], chosen: nil, confirmedBy: nil, confirmedAt: nil, reason: nil)
        let asPlanned = record.suggestions.contains { Set($0.units) == Set(named) }
        let why = reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if !asPlanned && why.isEmpty {
            let planned = record.suggestions.map { ($0.subCase.map { "\($0)：" } ?? "") + $0.units.joined(separator: "、") }.joined(separator: "；")
            throw IncidentError(.invalid, "lead.reason_required",
                                planned.isEmpty ? "预案未规定此类事故的牵头部门，指定时须写明理由" : "与预案规定的牵头部门（\(planned)）不同，须写明理由", field: "reason")
        }
        record.chosen = named
        record.confirmedBy = actor
        record.confirmedAt = now
        record.reason = why.isEmpty ? nil : why
        leadDepartment = record
        updatedAt = now
        // Groups the plan leaves to "the category's department" are led by the confirmed one.
        commandPost?.resolveLeads(leadDepartment: named)
        return [TimelineEvent("lead.confirmed", [
            "units": .array(named.map(JSONValue.string)), "asPlanned": .bool(asPlanned), "reason": .optional(record.reason),
        ])]
    }
}
