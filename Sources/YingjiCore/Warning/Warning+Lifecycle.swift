import Foundation

/// A move in a warning's life, checked here and nowhere else.
public enum WarningCommand: Sendable, Equatable {
    /// 报请审批
    case submit
    /// 审定, in the plan post the approver holds.
    case approve(post: String)
    /// 发布, in a post that proposes or approves warnings of that level.
    case publish(post: String)
    /// 调整: a new version (another level, new facts), approved again before it is published.
    /// On a draft (a first version or an adjustment not yet submitted) it rewrites that draft.
    case adjust(WarningContent, reason: String)
    /// 退回: the approver sends a submitted version back to be redrafted, with the reason.
    case returnForRevision(post: String, reason: String)
    /// 解除 — only by the post that published it (谁发布、谁解除).
    case lift(post: String, reason: String)
    /// 措施落实: one of the plan's measures carried out.
    case completeAction(id: String, note: String? = nil)
    /// Names who carries out a measure (a unit or department).
    case assignAction(id: String, owner: String)
    /// The incident the warning concerns, or that it led to.
    case linkIncident(String)
}

extension Warning {
    /// A new draft, checked against the plan: its level, times and area.
    /// With `unit`, a production unit's own warning, which the plan must provide for (Kunyu 4.2.2,
    /// Bachu 3.3); `notified` are the jurisdictions told of it besides its own.
    public static func draft(id: String, plan: Plan, jurisdiction: String, content: WarningContent, incidentID: String?,
                             unit: WarningUnit? = nil, notified: [String] = [], actor: String, now: Date) throws -> (Warning, [TimelineEvent]) {
        if unit != nil, plan.warnings.unitWarnings == nil {
            throw IncidentError(.invalid, "warning.no_unit_warnings", "预案「\(plan.name)」未规定生产经营单位发布本单位预警", field: "organisationID")
        }
        try plan.check(content)
        try checkIssuer(content, unit: unit)
        let warning = Warning(id: id, planID: plan.id, jurisdiction: jurisdiction, status: .draft,
                              versions: [WarningVersion(number: 1, content: content)], issuerPost: nil, liftedAt: nil, liftedBy: nil,
                              actions: [], incidentID: incidentID, unit: unit, notified: notified, version: 1, createdAt: now, updatedAt: now)
        return (warning, [TimelineEvent("warning.drafted", ["level": .int(Int64(content.level)), "issuer": .string(content.issuer),
                                                            "incidentID": .optional(incidentID), "unit": .optional(unit?.organisationID),
                                                            "notified": .array(notified.map(JSONValue.string))])])
    }

    /// Published and not lifted: what the public list and the feed show.
    public var isCurrent: Bool { status != .lifted && inForce != nil }

    /// In force and past its end time: still to be lifted, but no longer shown to the public as current.
    public func hasEnded(at now: Date) -> Bool { inForce?.content.endsAt.map { $0 <= now } ?? false }

    /// The moves the warning's state allows now. A warning in force can be lifted at any step of an adjustment.
    public var allowedMoves: [String] {
        var moves: [String]
        switch status {
        case .draft: moves = unit == nil ? ["submit", "adjust"] : ["publish", "adjust"]
        case .submitted: moves = ["approve", "returnForRevision"]
        case .approved: moves = ["publish"]
        case .published: moves = ["adjust"]
        case .lifted: return []
        }
        if inForce != nil { moves.append("lift") }
        return moves
    }

    /// The plan's own approval for adjustments, needed besides the level's for a version after the first.
    func needsAdjustmentApproval(_ version: WarningVersion, plan: Plan) -> Bool {
        version.number > 1 && unit == nil && !(plan.warnings.adjustment?.approvedBy.isEmpty ?? true)
    }

    /// The posts that may publish the current version: the unit for its own warning; the issuer
    /// once there is one (an adjustment is published by whoever published the first version);
    /// before that the posts that propose or approve warnings of its level.
    public func publishers(plan: Plan) -> [String] {
        if let unit { return [unit.post] }
        if let issuerPost { return [issuerPost] }
        let approval = plan.warnings.approval(for: versions.last?.content.level ?? 0)
        return (approval?.proposedBy ?? []) + (approval?.approvedBy ?? [])
    }

    /// What approval the version still needs, in the plan's words with its clauses:
    /// "黄色预警须由市应急总指挥部审定（3.2(2)）；调整预警级别须经…批准（3.2）".
    public func approvalRequirement(plan: Plan) -> String {
        guard let version = versions.last else { return "" }
        let level = version.content.level
        var rules: [String] = []
        if version.approvedPost == nil, let approval = plan.warnings.approval(for: level) {
            rules.append("\(plan.colourName(level))预警须由\(approval.approvedBy.map(plan.roleName).joined(separator: "或"))审定（\(approval.source)）")
        }
        if needsAdjustmentApproval(version, plan: plan), version.adjustmentApprovedPost == nil, let adjustment = plan.warnings.adjustment {
            rules.append("调整预警级别须经\(adjustment.approvedBy.map(plan.roleName).joined(separator: "或"))批准（\(adjustment.source)）")
        }
        return rules.joined(separator: "；")
    }

    /// The posts that may still approve the version now: the level's approvers until the level's
    /// approval is given, the adjustment's until that is (Lhasa 3.2).
    public func approvers(plan: Plan) -> [String] {
        guard let version = versions.last, status == .submitted, unit == nil else { return [] }
        var posts: [String] = []
        if version.approvedPost == nil { posts += plan.warnings.approval(for: version.content.level)?.approvedBy ?? [] }
        if needsAdjustmentApproval(version, plan: plan), version.adjustmentApprovedPost == nil {
            posts += (plan.warnings.adjustment?.approvedBy ?? []).filter { !posts.contains($0) }
        }
        return posts
    }

    public mutating func apply(_ command: WarningCommand, plan: Plan, actor: String, now: Date, ids: IDGenerator) throws -> [TimelineEvent] {
        guard status != .lifted else { throw IncidentError(.conflict, "warning.lifted", "预警已解除，不能再变更") }
        var copy = self
        let events = try copy.perform(command, plan: plan, actor: actor, now: now, ids: ids)
        copy.updatedAt = now
        self = copy
        return events
    }

    private mutating func perform(_ command: WarningCommand, plan: Plan, actor: String, now: Date, ids: IDGenerator) throws -> [TimelineEvent] {
        guard var version = versions.last else { throw IncidentError(.invalid, "warning.empty", "预警没有内容") }
        let level = version.content.level
        switch command {
        case .submit:
            try refuseForUnit(plan, "报请审批")
            try require(.draft, "报请审批")
            version.submittedBy = actor
            version.submittedAt = now
            status = .submitted
            versions[versions.count - 1] = version
            return [TimelineEvent("warning.submitted", ["version": .int(Int64(version.number)), "level": .int(Int64(level))])]
        case .approve(let post):
            try refuseForUnit(plan, "审批")
            try require(.submitted, "审批")
            let approval = try plan.approval(forWarningLevel: level)
            let adjustment = needsAdjustmentApproval(version, plan: plan) ? plan.warnings.adjustment : nil
            let forLevel = version.approvedPost == nil && approval.approvedBy.contains(post)
            let forAdjustment = adjustment.map { $0.approvedBy.contains(post) && version.adjustmentApprovedPost == nil } ?? false
            guard forLevel || forAdjustment else {
                throw IncidentError(.forbidden, "warning.not_approver", approvalRequirement(plan: plan), field: "post")
            }
            var events: [TimelineEvent] = []
            if forAdjustment, let adjustment {
                version.adjustmentApprovedPost = post
                version.adjustmentApprovedBy = actor
                version.adjustmentApprovedAt = now
                events.append(TimelineEvent("warning.adjustment_approved", ["version": .int(Int64(version.number)), "post": .string(post),
                                                                            "source": .string(adjustment.source.clause)]))
            }
            if forLevel {
                version.approvedPost = post
                version.approvedBy = actor
                version.approvedAt = now
                events.append(TimelineEvent("warning.approved", ["version": .int(Int64(version.number)), "post": .string(post), "source": .string(approval.source.clause)]))
            }
            // Approved once every approval the plan asks for is given.
            if version.approvedPost != nil && (adjustment == nil || version.adjustmentApprovedPost != nil) { status = .approved }
            versions[versions.count - 1] = version
            return events
        case .returnForRevision(let post, let reason):
            try refuseForUnit(plan, "退回")
            try require(.submitted, "退回")
            guard approvers(plan: plan).contains(post) || version.approvedPost == post || version.adjustmentApprovedPost == post else {
                throw IncidentError(.forbidden, "warning.not_approver", "只有审定该预警的机关可以退回", field: "post")
            }
            guard !reason.isBlank else {
                throw IncidentError(.invalid, "warning.reason_required", "退回须写明理由", field: "reason")
            }
            // Back to a draft: its approvals so far no longer stand.
            version = WarningVersion(number: version.number, content: version.content, reason: version.reason)
            version.returnedReason = reason
            status = .draft
            versions[versions.count - 1] = version
            return [TimelineEvent("warning.returned", ["version": .int(Int64(version.number)), "post": .string(post), "reason": .string(reason)])]
        case .publish(let post) where unit != nil:
            // 本单位预警: published by the unit itself and reported upward at once (Kunyu 4.2.2, Bachu 3.3).
            guard let unit, let rule = plan.warnings.unitWarnings else { return [] }
            try require(.draft, "发布")
            guard post == unit.post else {
                throw IncidentError(.forbidden, "warning.not_issuer", "本单位预警由「\(unit.name)」发布（\(rule.source)）", field: "post")
            }
            version.submittedBy = version.submittedBy ?? actor
            version.submittedAt = version.submittedAt ?? now
            version.publishedBy = actor
            version.publishedAt = now
            if issuerPost == nil { issuerPost = post }
            status = .published
            versions[versions.count - 1] = version
            return [TimelineEvent("warning.published", ["version": .int(Int64(version.number)), "level": .int(Int64(level)), "post": .string(post)]),
                    TimelineEvent("warning.reported_upward", ["to": .array(([jurisdiction] + notified).map(JSONValue.string)), "unit": .string(unit.organisationID),
                                                              "source": .string(rule.source.clause)])]
        case .publish(let post):
            try require(.approved, "发布")
            let approval = try plan.approval(forWarningLevel: level)
            let issuers = publishers(plan: plan)
            guard issuers.contains(post) else {
                throw IncidentError(.forbidden, "warning.not_issuer", "\(plan.colourName(level))预警由\(issuers.map(plan.roleName).joined(separator: "或"))发布（\(approval.source)）", field: "post")
            }
            version.publishedBy = actor
            version.publishedAt = now
            if issuerPost == nil { issuerPost = post }
            status = .published
            versions[versions.count - 1] = version
            return [TimelineEvent("warning.published", ["version": .int(Int64(version.number)), "level": .int(Int64(level)), "post": .string(post)])]
                + startActions(plan: plan, level: level, ids: ids)
        case .adjust(let content, let reason):
            guard status == .published || status == .draft else {
                throw IncidentError(.conflict, "warning.illegal_move", "预警处于「\(status.chineseName)」，不能调整")
            }
            try plan.check(content)
            try Self.checkIssuer(content, unit: unit)
            let grounds = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            if status == .draft {
                // Rewriting a draft: the first version needs no grounds; an adjustment keeps its own unless new ones are given.
                guard version.number == 1 || !grounds.isEmpty || version.reason != nil else {
                    throw IncidentError(.invalid, "warning.reason_required", "调整预警须写明依据", field: "reason")
                }
                version.content = content
                if !grounds.isEmpty { version.reason = reason }
                version.returnedReason = nil
                versions[versions.count - 1] = version
                return [TimelineEvent("warning.revised", ["version": .int(Int64(version.number)), "level": .int(Int64(content.level)),
                                                          "reason": .optional(grounds.isEmpty ? nil : reason)])]
            }
            guard !grounds.isEmpty else {
                throw IncidentError(.invalid, "warning.reason_required", "调整预警须写明依据", field: "reason")
            }
            versions.append(WarningVersion(number: version.number + 1, content: content, reason: reason))
            status = .draft
            return [TimelineEvent("warning.adjusted", ["version": .int(Int64(version.number + 1)), "from": .int(Int64(level)),
                                                       "to": .int(Int64(content.level)), "reason": .string(reason)])]
        case .lift(let post, let reason):
            guard inForce != nil else { throw IncidentError(.conflict, "warning.not_published", "预警尚未发布，不能解除") }
            guard !reason.isBlank else {
                throw IncidentError(.invalid, "warning.reason_required", "解除预警须写明理由", field: "reason")
            }
            guard post == issuerPost else {
                let issuer = issuerPost.map { $0 == unit?.post ? unit?.name ?? $0 : plan.roleName($0) } ?? ""
                throw IncidentError(.forbidden, "warning.not_issuer", "谁发布、谁解除：本预警由「\(issuer)」发布，只能由其解除\(plan.warnings.lifting.map { "（\($0.source)）" } ?? "")", field: "post")
            }
            status = .lifted
            liftedAt = now
            liftedBy = actor
            return [TimelineEvent("warning.lifted", ["post": .string(post), "reason": .string(reason)])]
        case .completeAction(let id, let note):
            let index = try actionIndex(id)
            guard actions[index].status == .pending else { throw IncidentError(.conflict, "warning.action_done", "措施已完成") }
            actions[index].status = .done
            actions[index].note = note
            actions[index].doneBy = actor
            actions[index].doneAt = now
            return [TimelineEvent("warning.action_done", ["actionID": .string(id), "text": .string(actions[index].text), "note": .optional(note)])]
        case .assignAction(let id, let owner):
            let index = try actionIndex(id)
            let name = owner.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty else { throw IncidentError(.invalid, "warning.missing", "缺少「owner」", field: "owner") }
            guard actions[index].status == .pending else { throw IncidentError(.conflict, "warning.action_done", "措施已完成") }
            actions[index].owner = name
            return [TimelineEvent("warning.action_assigned", ["actionID": .string(id), "owner": .string(name)])]
        case .linkIncident(let incident):
            guard incidentID != incident else { return [] }
            let previous = incidentID
            incidentID = incident
            return [TimelineEvent("warning.linked", ["incidentID": .string(incident), "previous": .optional(previous)])]
        }
    }

    /// A unit warning is issued in the unit's own name, never a government body's.
    static func checkIssuer(_ content: WarningContent, unit: WarningUnit?) throws {
        guard let unit, content.issuer != unit.name else { return }
        throw IncidentError(.invalid, "warning.unit_issuer", "本单位预警的发布单位须为「\(unit.name)」", field: "issuer")
    }

    private func actionIndex(_ id: String) throws -> Int {
        guard let index = actions.firstIndex(where: { $0.id == id }) else {
            throw IncidentError(.invalid, "warning.unknown_action", "没有措施「\(id)」", field: "actionID")
        }
        return index
    }

    /// A unit warning is the unit's own: no government approval (Kunyu 4.2.2, Bachu 3.3).
    private func refuseForUnit(_ plan: Plan, _ move: String) throws {
        guard let unit else { return }
        let clause = plan.warnings.unitWarnings.map { "（\($0.source)）" } ?? ""
        throw IncidentError(.conflict, "warning.unit_no_approval", "本单位预警由「\(unit.name)」直接发布并上报\(clause)，无需\(move)")
    }

    private func require(_ state: Status, _ move: String) throws {
        guard status == state else {
            throw IncidentError(.conflict, "warning.illegal_move", "预警处于「\(status.chineseName)」，不能\(move)")
        }
    }

    /// The plan's measures for the level (Kunyu 4.2.5, Lhasa 3.3), each once.
    private mutating func startActions(plan: Plan, level: Int, ids: IDGenerator) -> [TimelineEvent] {
        guard let list = plan.warnings.actions(for: level) else { return [] }
        let fresh = list.items.filter { item in !actions.contains { $0.itemID == item.id } }.map { item in
            WarningAction(id: ids.next("wact"), itemID: item.id, text: item.text, source: list.source.clause, level: level,
                          owner: nil, status: .pending, doneBy: nil, doneAt: nil)
        }
        actions += fresh
        return fresh.isEmpty ? [] : [TimelineEvent("warning.actions_started", ["items": .array(fresh.map { .string($0.itemID) }), "source": .string(list.source.clause)])]
    }
}

extension Plan {
    /// 红色 / 橙色 / 黄色 / 蓝色, as the plan names its levels.
    public func colourName(_ level: Int) -> String { warnings.levels.first { $0.level == level }?.colourName ?? "\(level)级" }

    public func approval(forWarningLevel level: Int) throws -> WarningApproval {
        guard let approval = warnings.approval(for: level) else {
            throw IncidentError(.invalid, "warning.no_approval", "预案未规定\(colourName(level))预警由谁审定", field: "level")
        }
        return approval
    }

    /// The times a warning may name (CAP writes four-digit years; Gregorian throughout).
    static let warningTimes = Date(timeIntervalSince1970: 946_684_800)...Date(timeIntervalSince1970: 4_102_444_800)

    /// A warning's level, times and area, each problem named by its field.
    public func check(_ content: WarningContent) throws {
        guard warnings.levels.contains(where: { $0.level == content.level }) else {
            let known = warnings.levels.map { "\($0.level)（\($0.colourName)）" }.joined(separator: "、")
            throw IncidentError(.invalid, "warning.unknown_level", "预警级别须为 \(known)", field: "level")
        }
        for (time, field) in [(Optional(content.startsAt), "startsAt"), (content.endsAt, "endsAt")] {
            if let time, !(Self.warningTimes ~= time) {
                throw IncidentError(.invalid, "warning.time_range", "时间须在 2000 年至 2099 年之间", field: field)
            }
        }
        if let ends = content.endsAt, ends <= content.startsAt {
            throw IncidentError(.invalid, "warning.ends_before_start", "结束时间须晚于起始时间", field: "endsAt")
        }
        for (value, field) in [(content.issuer, "issuer"), (content.category, "category"), (content.area.description, "area.description"), (content.warnings, "warnings")]
            where value.isBlank {
            throw IncidentError(.invalid, "warning.missing", "缺少「\(field)」", field: field)
        }
        // Channels and audiences from the plan's own lists when it has them (Kunyu 4.2.4).
        for (values, known, field) in [(content.channels, warnings.channels, "channels"), (content.specialAudiences, warnings.specialAudiences, "specialAudiences")]
            where !known.isEmpty {
            if let bad = values.firstIndex(where: { !known.contains($0) }) {
                throw IncidentError(.invalid, "warning.unknown_\(field)", "「\(values[bad])」不在预案列出的范围内，可选：\(known.joined(separator: "、"))", field: "\(field)[\(bad)]")
            }
        }
        if let polygon = content.area.polygon {
            guard polygon.count >= 3 else { throw IncidentError(.invalid, "warning.polygon", "范围多边形至少要有 3 个点", field: "area.polygon") }
            if let bad = polygon.firstIndex(where: { !$0.isValid }) {
                throw IncidentError(.invalid, "warning.coordinates", "第 \(bad + 1) 个点的经纬度无效（纬度 −90～90，经度 −180～180）", field: "area.polygon")
            }
        }
        if let circle = content.area.circle {
            guard circle.centre.isValid else { throw IncidentError(.invalid, "warning.coordinates", "圆心经纬度无效", field: "area.circle") }
            guard circle.radiusKilometres > 0, circle.radiusKilometres <= 2000 else {
                throw IncidentError(.invalid, "warning.radius", "半径须在 0～2000 公里之间", field: "area.circle")
            }
        }
    }
}

extension WarningArea.Point {
    var isValid: Bool { latitude.isFinite && longitude.isFinite && (-90...90).contains(latitude) && (-180...180).contains(longitude) }
}
