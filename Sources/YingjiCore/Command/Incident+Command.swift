import Foundation

/// A change to the on-site HQ: its groups, tasks, forces and attached teams.
public enum CommandOperation: Sendable, Equatable {
    /// A group the plan does not list, set up on the day.
    case addGroup(name: String, lead: String?, members: [String], duties: [String])
    /// Two groups become one; the merged one is kept, marked merged, with the reason.
    case mergeGroup(id: String, into: String, reason: String)
    /// 撤销 a group, with the reason.
    case standDownGroup(id: String, reason: String)
    /// 现场工作指导组, 专家组 …, recorded when they arrive.
    case attachTeam(kind: String, name: String, leader: String?, members: [String])
    /// A task for a group, unit or person; `acknowledgeWithinMinutes` nil takes the default.
    case createTask(title: String, groupID: String?, assignee: CommandTask.Assignee, dueAt: Date?, acknowledgeWithinMinutes: Int?)
    /// The group's plan duties, one task each, assigned to the group: its starting checklist.
    case createTasksFromDuties(groupID: String)
    case moveTask(id: String, TaskMove)
    case noteTask(id: String, text: String)
    /// 报到: a team arrives.
    case checkIn(team: String, leader: String, contact: String, headcount: Int, equipment: String, arrivedAt: Date?)
    /// 受领任务: a team on scene is given a group and/or a task.
    case assignForce(id: String, groupID: String?, taskID: String?)
    /// A team leaves the scene.
    case checkOut(id: String)
    /// 副总指挥: who deputises for the commander on site.
    case appointDeputies([String])
}

extension Incident {
    /// Applies a change to the on-site HQ, or throws without changing anything. The HQ exists
    /// once a response has started at a level the plan forms it for.
    public mutating func applyCommand(_ operation: CommandOperation, actor: String, now: Date, ids: IDGenerator) throws -> [TimelineEvent] {
        try ensureWritable()
        guard var post = commandPost else {
            throw IncidentError(.conflict, "command.no_post", "尚未成立现场指挥部（启动响应后按预案成立）")
        }
        guard commandPostIsWorking else {
            throw IncidentError(.conflict, "command.closed", "事故处于「\(status.chineseName)」，现场指挥部已不再受理变更")
        }
        let events = try post.apply(operation, actor: actor, now: now, ids: ids)
        commandPost = post
        updatedAt = now
        // A unit given a task has a part in the incident: its liaison sees it from now on.
        if case .createTask(_, _, let assignee, _, _) = operation, assignee.kind == .unit {
            var involved = involvedOrganisations ?? organisationID.map { [$0] } ?? []
            if !involved.contains(assignee.id) { involved.append(assignee.id) }
            involvedOrganisations = involved
        }
        return events
    }

    /// The on-site HQ takes changes and escalates tasks while the response is on (or rescue is
    /// suspended); once on-site work has ended it is a record.
    public var commandPostIsWorking: Bool { commandPost != nil && (status == .responding || status == .suspended) }

    /// Escalates every task not acknowledged in time, one step at a time (group lead, then
    /// commander), and marks overdue every task not done by its due time; returns what to put on
    /// the timeline.
    public mutating func escalateTasks(now: Date) -> [TimelineEvent] {
        guard commandPostIsWorking, var post = commandPost else { return [] }
        let events = post.escalate(now: now)
        if !events.isEmpty {
            commandPost = post
            updatedAt = now
        }
        return events
    }
}

extension CommandPost {
    mutating func apply(_ operation: CommandOperation, actor: String, now: Date, ids: IDGenerator) throws -> [TimelineEvent] {
        switch operation {
        case .addGroup(let name, let lead, let members, let duties):
            try Self.require(name, field: "name", "须填写工作组名称")
            guard !groups.contains(where: { $0.name == name && $0.status == .active }) else {
                throw IncidentError(.conflict, "command.group_exists", "已有工作组「\(name)」", field: "name")
            }
            let lead = lead.flatMap { $0.isBlank ? nil : $0 }
            let group = GroupInstance(id: ids.next("grp"), name: name, lead: lead, plannedLead: nil, members: members, duties: duties, source: nil,
                                      status: .active, mergedInto: nil, reason: nil)
            groups.append(group)
            return [TimelineEvent("command.group_added", ["groupID": .string(group.id), "name": .string(name), "lead": .optional(lead)])]
        case .mergeGroup(let id, let target, let reason):
            try Self.require(reason, field: "reason", "合并工作组须写明原因")
            let source = try activeGroupIndex(id, field: "groupID")
            let into = try activeGroupIndex(target, field: "into")
            guard source != into else { throw IncidentError(.invalid, "command.merge_self", "不能把工作组并入它自己", field: "into") }
            groups[into].members += groups[source].members.filter { !groups[into].members.contains($0) }
            groups[into].duties += groups[source].duties.filter { !groups[into].duties.contains($0) }
            groups[source].status = .merged
            groups[source].mergedInto = groups[into].id
            groups[source].reason = reason
            for index in tasks.indices where tasks[index].groupID == id {
                tasks[index].groupID = groups[into].id
                if tasks[index].assignee.kind == .group && tasks[index].assignee.id == id {
                    tasks[index].assignee = .init(kind: .group, id: groups[into].id, name: groups[into].name)
                }
            }
            for index in forces.indices where forces[index].groupID == id { forces[index].groupID = groups[into].id }
            return [TimelineEvent("command.group_merged", ["groupID": .string(id), "into": .string(groups[into].id), "reason": .string(reason)])]
        case .standDownGroup(let id, let reason):
            try Self.require(reason, field: "reason", "撤销工作组须写明原因")
            let index = try activeGroupIndex(id, field: "groupID")
            // Its open tasks would be left with no one: merge the group instead, or finish them first.
            let open = tasks.filter { $0.groupID == id && $0.status != .done }
            guard open.isEmpty else {
                throw IncidentError(.conflict, "command.group_has_tasks",
                                    "「\(groups[index].name)」还有 \(open.count) 项未完成的任务，请先完成或将该组并入其他工作组", field: "groupID")
            }
            for force in forces.indices where forces[force].groupID == id { forces[force].groupID = nil }
            groups[index].status = .stoodDown
            groups[index].reason = reason
            return [TimelineEvent("command.group_stood_down", ["groupID": .string(id), "reason": .string(reason)])]
        case .attachTeam(let kind, let name, let leader, let members):
            try Self.require(name, field: "name", "须填写队伍名称")
            let team = AttachedTeam(id: ids.next("team"), kind: kind, name: name, leader: leader, members: members, arrivedAt: now)
            attachedTeams.append(team)
            return [TimelineEvent("command.team_attached", ["teamID": .string(team.id), "kind": .string(kind), "name": .string(name), "leader": .optional(leader)])]
        case .createTask(let title, let groupID, let assignee, let dueAt, let minutes):
            try Self.require(title, field: "title", "须填写任务内容")
            if let groupID { _ = try activeGroupIndex(groupID, field: "groupID") }
            if assignee.kind == .group { _ = try activeGroupIndex(assignee.id, field: "assignee") }
            let window = minutes ?? acknowledgeWithinMinutes
            guard (1...1440).contains(window) else {
                throw IncidentError(.invalid, "task.acknowledge_window", "受领时限须为 1–1440 分钟", field: "acknowledgeWithinMinutes")
            }
            let task = CommandTask(id: ids.next("task"), title: title, groupID: groupID ?? (assignee.kind == .group ? assignee.id : nil), assignee: assignee,
                                   status: .assigned, source: nil, dueAt: dueAt, acknowledgeWithinMinutes: window, createdAt: now, createdBy: actor,
                                   acknowledgedAt: nil, acknowledgedBy: nil, blockedReason: nil, escalations: [], notes: [])
            tasks.append(task)
            return [Self.created(task)]
        case .createTasksFromDuties(let groupID):
            let group = groups[try activeGroupIndex(groupID, field: "groupID")]
            let existing = Set(tasks.filter { $0.groupID == groupID }.map(\.title))
            let fresh = group.duties.filter { !existing.contains($0) }.map { duty in
                CommandTask(id: ids.next("task"), title: duty, groupID: groupID, assignee: .init(kind: .group, id: groupID, name: group.name),
                            status: .assigned, source: group.source, dueAt: nil, acknowledgeWithinMinutes: acknowledgeWithinMinutes,
                            createdAt: now, createdBy: actor, acknowledgedAt: nil, acknowledgedBy: nil, blockedReason: nil, escalations: [], notes: [])
            }
            guard !fresh.isEmpty else {
                throw IncidentError(.conflict, "command.no_duties", "「\(group.name)」的预案职责已全部下达（或预案未列职责）", field: "groupID")
            }
            tasks += fresh
            return fresh.map(Self.created)
        case .moveTask(let id, let move):
            return try moveTask(id, move, actor: actor, now: now)
        case .noteTask(let id, let text):
            try Self.require(text, field: "text", "须填写进展情况")
            let index = try taskIndex(id)
            tasks[index].notes.append(CommandTask.Note(at: now, by: actor, text: text))
            return [TimelineEvent("task.noted", ["taskID": .string(id), "text": .string(text)])]
        case .checkIn(let team, let leader, let contact, let headcount, let equipment, let arrivedAt):
            for (value, field) in [(team, "team"), (leader, "leader"), (contact, "contact")] {
                try Self.require(value, field: field, "报到须填写队伍、带队人和联系方式")
            }
            guard (1...100_000).contains(headcount) else { throw IncidentError(.invalid, "force.headcount", "人数须为正整数", field: "headcount") }
            if let arrivedAt, arrivedAt > now.addingTimeInterval(Plan.allowedClockSkew) {
                throw IncidentError(.invalid, "force.future_arrival", "到达时间不能晚于现在", field: "arrivedAt")
            }
            let force = ForceCheckIn(id: ids.next("force"), team: team, leader: leader, contact: contact, headcount: headcount,
                                     equipment: equipment, arrivedAt: arrivedAt ?? now, groupID: nil, taskID: nil, leftAt: nil)
            forces.append(force)
            return [TimelineEvent("force.checked_in", [
                "forceID": .string(force.id), "team": .string(team), "leader": .string(leader), "contact": .string(contact),
                "headcount": .int(Int64(headcount)), "equipment": .string(equipment), "arrivedAt": .time(force.arrivedAt),
            ])]
        case .assignForce(let id, let groupID, let taskID):
            guard let index = forces.firstIndex(where: { $0.id == id && $0.leftAt == nil }) else {
                throw IncidentError(.invalid, "force.unknown", "现场没有报到记录「\(id)」", field: "forceID")
            }
            guard groupID != nil || taskID != nil else { throw IncidentError(.invalid, "force.assignment_empty", "须指定工作组或任务", field: "groupID") }
            if let groupID { _ = try activeGroupIndex(groupID, field: "groupID") }
            if let taskID { _ = try taskIndex(taskID) }
            let group = groupID ?? taskID.flatMap { task($0)?.groupID } ?? forces[index].groupID
            if let group { _ = try activeGroupIndex(group, field: "groupID") }
            forces[index].groupID = group
            forces[index].taskID = taskID
            return [TimelineEvent("force.assigned", ["forceID": .string(id), "groupID": .optional(forces[index].groupID), "taskID": .optional(taskID)])]
        case .appointDeputies(let names):
            let named = names.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            deputies = named
            return [TimelineEvent("command.deputies_appointed", ["deputies": .array(named.map(JSONValue.string))])]
        case .checkOut(let id):
            guard let index = forces.firstIndex(where: { $0.id == id && $0.leftAt == nil }) else {
                throw IncidentError(.invalid, "force.unknown", "现场没有报到记录「\(id)」", field: "forceID")
            }
            forces[index].leftAt = now
            return [TimelineEvent("force.checked_out", ["forceID": .string(id)])]
        }
    }

    private mutating func moveTask(_ id: String, _ move: TaskMove, actor: String, now: Date) throws -> [TimelineEvent] {
        let index = try taskIndex(id)
        guard CommandTask.allowedFrom[move.name]?.contains(tasks[index].status) == true else {
            throw IncidentError(.conflict, "task.illegal_move", "任务「\(tasks[index].title)」处于「\(tasks[index].status.chineseName)」，不能\(move.chineseName)")
        }
        var payload: [String: JSONValue] = ["taskID": .string(id), "from": .string(tasks[index].status.rawValue)]
        switch move {
        case .acknowledge:
            tasks[index].status = .acknowledged
            tasks[index].acknowledgedAt = now
            tasks[index].acknowledgedBy = actor
            payload["late"] = .bool(now > tasks[index].acknowledgeBy)
        case .start:
            tasks[index].status = .inProgress
            tasks[index].blockedReason = nil
        case .complete(let note):
            tasks[index].status = .done
            if let due = tasks[index].dueAt { payload["late"] = .bool(now > due) }
            if let note, !note.isBlank {
                tasks[index].notes.append(CommandTask.Note(at: now, by: actor, text: note))
                payload["note"] = .string(note)
            }
        case .block(let reason):
            try Self.require(reason, field: "reason", "报告受阻须写明原因")
            tasks[index].status = .blocked
            tasks[index].blockedReason = reason
            payload["reason"] = .string(reason)
        }
        payload["to"] = .string(tasks[index].status.rawValue)
        return [TimelineEvent("task.\(move.name)", .object(payload))]
    }

    /// Moves every overdue acknowledgement one step up: to the group's lead unit, then to the
    /// commander. A task with no group lead goes straight to the commander. A task still not
    /// done at its due time is marked overdue, once, with the commander told.
    mutating func escalate(now: Date) -> [TimelineEvent] {
        var events: [TimelineEvent] = []
        for index in tasks.indices {
            while let due = tasks[index].nextEscalationAt, due <= now {
                let lead = tasks[index].groupID.flatMap(group)?.escalationLead
                let level = tasks[index].escalations.isEmpty && lead != nil ? 1 : 2
                let to = level == 1 ? (lead ?? commander) : commander
                tasks[index].escalations.append(CommandTask.Escalation(level: level, to: to, at: due))
                events.append(TimelineEvent("task.escalated", [
                    "taskID": .string(tasks[index].id), "title": .string(tasks[index].title), "level": .int(Int64(level)),
                    "to": .string(to), "dueAt": .time(due),
                ]))
            }
            if let due = tasks[index].nextOverdueAt, due <= now {
                tasks[index].overdueAt = due
                events.append(TimelineEvent("task.overdue", [
                    "taskID": .string(tasks[index].id), "title": .string(tasks[index].title), "dueAt": .time(due),
                    "assignee": .string(tasks[index].assignee.name), "status": .string(tasks[index].status.rawValue), "to": .string(commander),
                ]))
            }
        }
        return events
    }

    private func activeGroupIndex(_ id: String, field: String) throws -> Int {
        guard let index = groups.firstIndex(where: { $0.id == id }) else {
            throw IncidentError(.invalid, "command.unknown_group", "没有工作组「\(id)」", field: field)
        }
        guard groups[index].status == .active else {
            throw IncidentError(.conflict, "command.group_inactive", "工作组「\(groups[index].name)」\(groups[index].status.chineseName)", field: field)
        }
        return index
    }

    private func taskIndex(_ id: String) throws -> Int {
        guard let index = tasks.firstIndex(where: { $0.id == id }) else {
            throw IncidentError(.invalid, "task.unknown", "没有任务「\(id)」", field: "taskID")
        }
        return index
    }

    private static func require(_ value: String, field: String, _ message: String) throws {
        guard !value.isBlank else {
            throw IncidentError(.invalid, "command.missing", message, field: field)
        }
    }

    private static func created(_ task: CommandTask) -> TimelineEvent {
        TimelineEvent("task.created", [
            "taskID": .string(task.id), "title": .string(task.title), "groupID": .optional(task.groupID),
            "assignee": ["kind": .string(task.assignee.kind.rawValue), "id": .string(task.assignee.id), "name": .string(task.assignee.name)],
            "acknowledgeBy": .time(task.acknowledgeBy), "dueAt": .time(task.dueAt),
        ])
    }
}
