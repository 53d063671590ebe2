/// 组织指挥体系 — HQ, office, member units, the roles that hold authority, and the on-site working groups.
public struct CommandOrganisation: Sendable, Encodable {
    public let headquarters: Body
    public let office: Body
    /// The posts and bodies named as deciding or signing (ids used by `response` and `warnings`).
    public let roles: [Role]
    /// 成员单位 and other units the plan names, with their duties where the plan gives them.
    public let units: [Unit]
    public let onSite: OnSiteCommand

    public func role(_ id: String) -> Role? { roles.first { $0.id == id } }
    public func unit(_ name: String) -> Unit? { units.first { $0.name == name } }
}

/// A body with its composition and duties (指挥部, 办公室).
public struct Body: Sendable, Encodable {
    public let name: String
    public let composition: String?
    public let duties: [String]
    public let source: Source
}

/// A post or body that holds authority in the plan (指挥长, 市应急总指挥部).
public struct Role: Sendable, Encodable {
    public let id: String
    public let name: String
    /// The account roles whose holders act for this post or body (`holders:` in the plan file);
    /// empty when no account here can (a body above the plan's own government).
    public let holders: [UserRole]
    public let source: Source?
}

/// A department, local government or other unit named by the plan.
public struct Unit: Sendable, Encodable {
    public enum Kind: String, Sendable, CaseIterable, Encodable {
        /// 成员单位 — a member department of the HQ.
        case member
        /// 事发地政府 — the local government where the accident happened.
        case local
        /// 事发单位 — the unit where the accident happened.
        case enterprise
        /// Resolved from the accident's category (事故类别行业主管部门).
        case byCategory
        /// A force or body outside the HQ (武警, 消防救援站).
        case external
    }

    public let name: String
    public let kind: Kind
    public let duties: [String]
    public let source: Source?
}

/// 现场指挥部 — the on-site HQ and its working groups.
public struct OnSiteCommand: Sendable, Encodable {
    public let formedWhen: String?
    /// Response levels at which the plan forms the on-site HQ; empty means "as needed".
    public let formedAtLevels: [ResponseLevel]
    /// How long an assignee has to acknowledge a task; nil: `CommandPost.defaultAcknowledgeMinutes`.
    public let acknowledgeWithinMinutes: Int?
    public let commander: String?
    public let groups: [WorkingGroup]
    /// 现场工作指导组 sent by the HQ.
    public let guidanceGroup: Body?
    /// 专家组
    public let expertGroup: Body?
    /// 报到、受领任务 — arriving forces check in and receive tasks.
    public let checkIn: PolicyText?
    public let source: Source

    public func group(_ id: String) -> WorkingGroup? { groups.first { $0.id == id } }
}

/// 工作组 — an on-site working group with its lead unit, members and duties.
public struct WorkingGroup: Sendable, Encodable {
    public let id: String
    public let name: String
    /// 牵头单位; nil where the plan's annex with it is not available.
    public let lead: String?
    public let members: [String]
    public let duties: [String]
    public let source: Source
}
