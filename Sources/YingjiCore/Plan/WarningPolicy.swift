/// 预警 — warning levels, who approves them, what a warning says and what follows its publication.
public struct WarningPolicy: Sendable, Encodable {
    public let levels: [WarningLevel]
    public let levelsSource: Source?
    public let approvals: [WarningApproval]
    public let contentFields: [ContentField]
    public let contentSource: Source?
    /// 发布渠道: platform, radio, TV, SMS, loudspeaker, door-to-door …
    public let channels: [String]
    /// 特殊人群和场所 that need a targeted notice.
    public let specialAudiences: [String]
    public let actions: [WarningActionList]
    public let adjustment: PolicyText?
    /// 谁发布、谁解除.
    public let lifting: PolicyText?
    /// 生产经营单位 unit warnings and their upward reporting.
    public let unitWarnings: PolicyText?

    public func approval(for level: Int) -> WarningApproval? { approvals.first { $0.levels.contains(level) } }

    public func actions(for level: Int) -> WarningActionList? { actions.first { $0.levels.contains(level) } }
}

/// One warning level: 1 红, 2 橙, 3 黄, 4 蓝.
public struct WarningLevel: Sendable, Encodable {
    public let level: Int
    public let colour: String
    public let colourName: String
}

/// Who proposes and who approves warnings of some levels.
public struct WarningApproval: Sendable, Encodable {
    public let levels: [Int]
    public let proposedBy: [String]
    public let approvedBy: [String]
    public let text: String?
    public let source: Source
}

/// The measures to take once a warning of some levels is out (Kunyu 4.2.5, Lhasa 3.3).
public struct WarningActionList: Sendable, Encodable {
    public let levels: [Int]
    public let items: [ActionItem]
    public let source: Source
}

/// One checklist item, in the plan's words.
public struct ActionItem: Sendable, Encodable {
    public let id: String
    public let text: String
}

/// A rule stated in prose with its clause; the approving roles are ids from `command.roles`.
public struct PolicyText: Sendable, Encodable {
    public let text: String
    public let approvedBy: [String]
    public let source: Source
}
