import Foundation

/// 现场指挥部 — the on-site HQ set up when a response starts: who commands it, the working groups
/// the plan names (with their lead and member units and duties), the tasks handed out, the
/// forces on scene. Kept inside the incident, so every change is versioned and on its timeline.
public struct CommandPost: Sendable, Codable, Equatable {
    /// 总指挥: who commands the on-site HQ now (the plan's post, or who it was handed to).
    public var commander: String
    public var deputies: [String]
    public var establishedAt: Date
    /// The plan clause the HQ and its groups come from.
    public var source: String
    public var groups: [GroupInstance]
    public var tasks: [CommandTask]
    public var forces: [ForceCheckIn]
    /// How long an assignee has to acknowledge a task unless the task says otherwise: the plan's
    /// (nil: `defaultAcknowledgeMinutes`; optional so records made before it was kept still load).
    public var planAcknowledgeMinutes: Int?

    public var acknowledgeWithinMinutes: Int { planAcknowledgeMinutes ?? Self.defaultAcknowledgeMinutes }
    /// 现场工作指导组, 专家组 and other teams sent to the scene, as recorded.
    public var attachedTeams: [AttachedTeam]
    /// 移交指挥权, oldest first.
    public var handovers: [CommandHandover]
}

/// A working group as set up for one incident: from the plan (its id and clause) or added on the day.
public struct GroupInstance: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case active, merged, stoodDown

        public var chineseName: String {
            switch self {
            case .active: return "工作中"
            case .merged: return "已合并"
            case .stoodDown: return "已撤销"
            }
        }
    }

    public let id: String
    public var name: String
    /// 牵头单位 for this incident (nil when the plan names none).
    public var lead: String?
    /// The lead as the plan writes it ("事故类别行业主管部门" stays that here).
    public var plannedLead: String?

    /// Whom an overdue acknowledgement goes to first: a named lead unit, not a blank or a
    /// "the category's department" the incident has not resolved yet.
    public var escalationLead: String? {
        guard let lead = lead?.trimmingCharacters(in: .whitespacesAndNewlines), !lead.isEmpty, !CommandPost.dependsOnCategory(lead) else { return nil }
        return lead
    }
    public var members: [String]
    public var duties: [String]
    /// The plan clause, nil for a group added on the day.
    public var source: String?
    public var status: Status
    public var mergedInto: String?
    public var reason: String?
}

/// 现场工作指导组, 专家组 …: a team sent to the scene, recorded with who leads it.
public struct AttachedTeam: Sendable, Codable, Equatable {
    public let id: String
    public var kind: String
    public var name: String
    public var leader: String?
    public var members: [String]
    public var arrivedAt: Date
}

/// 移交指挥权 of the on-site HQ, with both signers.
public struct CommandHandover: Sendable, Codable, Equatable {
    public let from: String
    public let to: String
    public let handedOverBy: String
    public let receivedBy: String
    public let at: Date
}

/// 报到、受领任务: a team that arrived, where it was assigned, and when it left.
public struct ForceCheckIn: Sendable, Codable, Equatable {
    public let id: String
    public var team: String
    public var leader: String
    public var contact: String
    public var headcount: Int
    public var equipment: String
    public var arrivedAt: Date
    public var groupID: String?
    public var taskID: String?
    public var leftAt: Date?
}

extension CommandPost {
    /// The default time an assignee has to acknowledge a task, when neither the plan nor the task sets one.
    public static let defaultAcknowledgeMinutes = 10
    /// 总指挥: every seed plan runs the on-site HQ under a general commander (现场指挥部实行总指挥负责制).
    public static let commanderTitle = "现场指挥部总指挥"

    /// Sets up the on-site HQ from the plan: its commander post and every working group with its
    /// lead, members and duties, each with the plan's clause. A group led by "the category's
    /// department" gets the lead department named for the incident, when one is known.
    public static func establish(plan: Plan, at now: Date, leadDepartment: [String]?, commander: String? = nil) -> CommandPost {
        let onSite = plan.command.onSite
        let groups = onSite.groups.map { group in
            GroupInstance(id: group.id, name: group.name, lead: resolvedLead(group.lead, leadDepartment: leadDepartment), plannedLead: group.lead, members: group.members,
                          duties: group.duties, source: group.source.clause, status: .active, mergedInto: nil, reason: nil)
        }
        return CommandPost(commander: commander ?? commanderTitle, deputies: [], establishedAt: now, source: onSite.source.clause,
                           groups: groups, tasks: [], forces: [], planAcknowledgeMinutes: onSite.acknowledgeWithinMinutes,
                           attachedTeams: [], handovers: [])
    }

    /// Plans write "事故类别行业主管部门" (the department in charge of the category) where the lead
    /// depends on the accident; once the incident has its lead department, that is the lead.
    static func resolvedLead(_ lead: String?, leadDepartment: [String]?) -> String? {
        guard let lead else { return nil }
        if dependsOnCategory(lead), let units = leadDepartment, !units.isEmpty { return units.joined(separator: "、") }
        return lead
    }

    static func dependsOnCategory(_ lead: String) -> Bool { lead.contains("行业主管部门") }

    /// Re-resolves the leads the plan leaves to the category's department (after the lead
    /// department is confirmed, or the category changes).
    mutating func resolveLeads(leadDepartment: [String]?) {
        for index in groups.indices where groups[index].status == .active {
            guard let planned = groups[index].plannedLead, Self.dependsOnCategory(planned) else { continue }
            groups[index].lead = Self.resolvedLead(planned, leadDepartment: leadDepartment)
        }
    }

    public func group(_ id: String) -> GroupInstance? { groups.first { $0.id == id } }
    public func task(_ id: String) -> CommandTask? { tasks.first { $0.id == id } }

    /// When the sweep must next look at the tasks: an acknowledgement falls due or escalates
    /// further, or a task reaches its due time unfinished.
    public var nextEscalation: Date? { tasks.flatMap { [$0.nextEscalationAt, $0.nextOverdueAt].compactMap { $0 } }.min() }
}


extension Incident {
    /// Sets up the on-site HQ when a response starts at a level the plan forms it for (all
    /// levels when the plan names none); a level change later keeps the HQ as it is.
    mutating func establishCommandPost(plan: Plan, level: Int, now: Date) -> [TimelineEvent] {
        let levels = plan.command.onSite.formedAtLevels
        guard commandPost == nil, levels.isEmpty || levels.contains(where: { $0.number == level }) else { return [] }
        // Set up after command was handed over: the HQ is under whoever holds command.
        let post = CommandPost.establish(plan: plan, at: now, leadDepartment: leadDepartment?.units, commander: commandHolder)
        commandPost = post
        return [TimelineEvent("command.established", [
            "commander": .string(post.commander), "source": .string(post.source),
            "groups": .array(post.groups.map { ["groupID": .string($0.id), "name": .string($0.name), "lead": .optional($0.lead)] }),
        ])]
    }
}
