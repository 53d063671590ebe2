import Foundation

/// A move in an incident's life. Every move is checked here and nowhere else.
public enum LifecycleCommand: Sendable, Equatable {
    /// 核实 — the duty officer confirms the report.
    case verify(note: String?)
    /// 启动响应 at a level: the role that decides and the role that signs must be the plan's.
    case startResponse(level: Int, decidedBy: String, signedBy: String, precondition: String?)
    /// 调整响应级别, with reason and signer.
    case changeLevel(level: Int, reason: String, signedBy: String)
    /// 移交指挥权 to a higher HQ, with both signers.
    case handOverCommand(to: String, handedOverBy: String, receivedBy: String)
    /// 暂停救援
    case suspendRescue(reason: String)
    case resumeRescue(note: String?)
    /// One of the plan's termination conditions confirmed.
    case confirmCondition(id: String)
    /// 现场应急处置工作结束: every termination condition confirmed.
    case endOnSiteWork
    /// 响应终止 — only by the body that started it (谁启动、谁关闭).
    case endResponse(endedBy: String)
    /// No response needed: verified and handed straight to aftermath.
    case closeWithoutResponse(reason: String)
    case beginAftermath
    /// 总结评估
    case recordEvaluation(summary: String)
    /// 归档 — read-only from then on.
    case archive

    /// The name the API and the timeline use for the move.
    public var name: String {
        switch self {
        case .verify: return "verify"
        case .startResponse: return "startResponse"
        case .changeLevel: return "changeLevel"
        case .handOverCommand: return "handOverCommand"
        case .suspendRescue: return "suspendRescue"
        case .resumeRescue: return "resumeRescue"
        case .confirmCondition: return "confirmCondition"
        case .endOnSiteWork: return "endOnSiteWork"
        case .endResponse: return "endResponse"
        case .closeWithoutResponse: return "closeWithoutResponse"
        case .beginAftermath: return "beginAftermath"
        case .recordEvaluation: return "recordEvaluation"
        case .archive: return "archive"
        }
    }

    /// The states a move may be made from.
    static let allowedFrom: [String: Set<IncidentStatus>] = [
        "verify": [.reported],
        "startResponse": [.verified],
        "changeLevel": [.responding, .suspended],
        "handOverCommand": [.responding, .suspended],
        "suspendRescue": [.responding],
        "resumeRescue": [.suspended],
        "confirmCondition": [.responding, .suspended],
        "endOnSiteWork": [.responding],
        "endResponse": [.onSiteEnded],
        "closeWithoutResponse": [.verified],
        "beginAftermath": [.responseEnded],
        "recordEvaluation": [.aftermath],
        "archive": [.evaluated],
    ]
}

extension Incident {
    /// The moves that the incident's state allows now (authority is checked when one is made).
    public var allowedMoves: [String] {
        Self.movesFrom[status] ?? []
    }

    /// `allowedMoves` for each state, worked out once from `LifecycleCommand.allowedFrom`.
    private static let movesFrom: [IncidentStatus: [String]] = Dictionary(uniqueKeysWithValues: IncidentStatus.allCases.map { status in
        (status, LifecycleCommand.allowedFrom.filter { $0.value.contains(status) }.map(\.key).sorted())
    })

    /// Makes a move, or throws without changing anything.
    public mutating func apply(_ command: LifecycleCommand, plan: Plan, actor: String, now: Date, ids: IDGenerator) throws -> [TimelineEvent] {
        try ensureWritable()
        guard LifecycleCommand.allowedFrom[command.name]?.contains(status) == true else {
            throw IncidentError.illegal(Self.moveName(command), from: status)
        }
        var copy = self
        let events = try copy.perform(command, plan: plan, actor: actor, now: now, ids: ids)
        copy.updatedAt = now
        self = copy
        return events
    }

    private mutating func perform(_ command: LifecycleCommand, plan: Plan, actor: String, now: Date, ids: IDGenerator) throws -> [TimelineEvent] {
        switch command {
        case .verify(let note):
            status = .verified
            return [TimelineEvent("incident.verified", ["note": .optional(note)])]
        case .startResponse(let number, let decidedBy, let signedBy, let precondition):
            let authority = try Self.authority(plan, number)
            try Self.require(decidedBy, in: authority.decides, plan: plan, what: "决定启动", authority: authority, field: "decidedBy")
            try Self.require(signedBy, in: authority.signs, plan: plan, what: "签发", authority: authority, field: "signedBy")
            let note = precondition?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if let required = authority.precondition, note.isEmpty {
                throw IncidentError(.invalid, "response.precondition", "启动\(authority.level.chineseName)响应须先\(required.text)，请记录请示情况（\(authority.source)）", field: "precondition")
            }
            response = ResponseRecord(level: number, decidedBy: decidedBy, signedBy: signedBy, startedAt: now, precondition: note.isEmpty ? nil : note)
            status = .responding
            let started = TimelineEvent("response.started", [
                "level": .int(Int64(number)), "decidedBy": .string(decidedBy), "signedBy": .string(signedBy),
                "precondition": .optional(response?.precondition), "source": .string(authority.source.clause),
            ])
            return [started] + establishCommandPost(plan: plan, level: number, now: now) + reconcileObligations(plan: plan, now: now, ids: ids)
        case .changeLevel(let number, let reason, let signedBy):
            guard var current = response else { throw IncidentError.illegal("调整响应级别", from: status) }
            guard number != current.level else {
                throw IncidentError(.invalid, "response.same_level", "已是\(ResponseLevel(number)?.chineseName ?? "")响应", field: "level")
            }
            try Self.requireReason(reason)
            let authority = try Self.authority(plan, number)
            try Self.require(signedBy, in: authority.signs, plan: plan, what: "签发", authority: authority, field: "signedBy")
            let previous = current.level
            current.level = number
            current.signedBy = signedBy
            response = current
            return [TimelineEvent("response.level_changed", [
                "from": .int(Int64(previous)), "to": .int(Int64(number)), "reason": .string(reason),
                "signedBy": .string(signedBy), "source": .string(authority.source.clause),
            ])] + establishCommandPost(plan: plan, level: number, now: now)
        case .handOverCommand(let to, let handedOverBy, let receivedBy):
            for (value, field) in [(to, "to"), (handedOverBy, "handedOverBy"), (receivedBy, "receivedBy")] where value.trimmingCharacters(in: .whitespaces).isEmpty {
                throw IncidentError(.invalid, "handover.missing", "移交指挥权须写明接收方和双方签字人", field: field)
            }
            let previous = commandHolder
            commandHolder = to
            // The on-site HQ moves under the new commander.
            if var post = commandPost {
                post.handovers.append(CommandHandover(from: post.commander, to: to, handedOverBy: handedOverBy, receivedBy: receivedBy, at: now))
                post.commander = to
                commandPost = post
            }
            return [TimelineEvent("command.handed_over", [
                "from": .optional(previous), "to": .string(to), "handedOverBy": .string(handedOverBy), "receivedBy": .string(receivedBy),
            ])]
        case .suspendRescue(let reason):
            try Self.requireReason(reason)
            status = .suspended
            suspension = reason
            return [TimelineEvent("rescue.suspended", ["reason": .string(reason)])]
        case .resumeRescue(let note):
            status = .responding
            suspension = nil
            return [TimelineEvent("rescue.resumed", ["note": .optional(note)])]
        case .confirmCondition(let id):
            guard let condition = plan.termination.conditions.first(where: { $0.id == id }) else {
                let known = plan.termination.conditions.map(\.id).joined(separator: "、")
                throw IncidentError(.invalid, "termination.unknown_condition", "预案没有终止条件「\(id)」，可选：\(known)", field: "conditionID")
            }
            guard !confirmedConditions.contains(where: { $0.conditionID == id }) else {
                throw IncidentError(.conflict, "termination.already_confirmed", "终止条件「\(condition.text)」已确认")
            }
            confirmedConditions.append(ConditionConfirmation(conditionID: id, by: actor, at: now))
            return [TimelineEvent("termination.condition_confirmed", ["conditionID": .string(id), "text": .string(condition.text)])]
        case .endOnSiteWork:
            let open = plan.termination.conditions.filter { condition in !confirmedConditions.contains { $0.conditionID == condition.id } }
            guard open.isEmpty else {
                throw IncidentError(.conflict, "termination.conditions_open", "尚未确认的终止条件：\(open.map(\.text).joined(separator: "；"))（\(plan.termination.source)）")
            }
            status = .onSiteEnded
            return [TimelineEvent("onsite.ended", ["confirmedBy": .optional(plan.termination.confirmedBy)])]
        case .endResponse(let endedBy):
            guard let started = response else { throw IncidentError.illegal("终止响应", from: status) }
            guard endedBy == started.decidedBy else {
                throw IncidentError(.forbidden, "response.not_starter", "谁启动、谁关闭：本次响应由「\(plan.roleName(started.decidedBy))」启动，只能由其宣布终止（\(plan.response.ending.source)）", field: "endedBy")
            }
            status = .responseEnded
            return [TimelineEvent("response.ended", ["endedBy": .string(endedBy), "source": .string(plan.response.ending.source.clause)])]
        case .closeWithoutResponse(let reason):
            try Self.requireReason(reason)
            status = .aftermath
            return [TimelineEvent("incident.closed_without_response", ["reason": .string(reason)])]
        case .beginAftermath:
            status = .aftermath
            return [TimelineEvent("aftermath.begun")]
        case .recordEvaluation(let summary):
            guard !summary.isBlank else {
                throw IncidentError(.invalid, "evaluation.empty", "须填写总结评估报告", field: "summary")
            }
            status = .evaluated
            return [TimelineEvent("incident.evaluated", ["summary": .string(summary)])]
        case .archive:
            status = .archived
            return [TimelineEvent("incident.archived")]
        }
    }

    private static func authority(_ plan: Plan, _ number: Int) throws -> LevelAuthority {
        guard let level = ResponseLevel(number), let authority = plan.response.authority(for: level) else {
            throw IncidentError(.invalid, "response.unknown_level", "预案没有\(number)级响应（应为 1–4）", field: "level")
        }
        return authority
    }

    private static func require(_ role: String, in allowed: [String], plan: Plan, what: String, authority: LevelAuthority, field: String) throws {
        guard allowed.contains(role) else {
            let names = allowed.map(plan.roleName).joined(separator: "或")
            throw IncidentError(.forbidden, "response.not_authorised", "\(authority.level.chineseName)响应须由\(names)\(what)（\(authority.source)）", field: field)
        }
    }

    private static func requireReason(_ reason: String) throws {
        guard !reason.isBlank else {
            throw IncidentError(.invalid, "lifecycle.reason_required", "须填写原因", field: "reason")
        }
    }

    private static func moveName(_ command: LifecycleCommand) -> String {
        switch command {
        case .verify: return "核实"
        case .startResponse: return "启动响应"
        case .changeLevel: return "调整响应级别"
        case .handOverCommand: return "移交指挥权"
        case .suspendRescue: return "暂停救援"
        case .resumeRescue: return "恢复救援"
        case .confirmCondition: return "确认终止条件"
        case .endOnSiteWork: return "结束现场处置"
        case .endResponse: return "终止响应"
        case .closeWithoutResponse: return "不启动响应直接转入善后"
        case .beginAftermath: return "转入善后处置"
        case .recordEvaluation: return "记录总结评估"
        case .archive: return "归档"
        }
    }
}
