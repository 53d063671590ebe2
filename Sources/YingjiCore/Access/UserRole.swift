/// The roles an account can hold in a jurisdiction. A plan's own authority names (师市专项指挥部
/// 指挥长, 县人民政府主要领导 …) are mapped to these in the plan file (`holder:` on each plan
/// role), so who may start a response at level N is still decided by the plan.
public enum UserRole: String, CaseIterable, Codable, Sendable, Comparable {
    case dutyOfficer = "duty-officer"
    case dutyLeader = "duty-leader"
    case principal
    case generalCommander = "general-commander"
    case commander
    case deputyCommander = "deputy-commander"
    case hqOffice = "hq-office"
    case memberLiaison = "member-liaison"
    case enterpriseReporter = "enterprise-reporter"
    case pressOfficer = "press-officer"
    case viewer
    case administrator

    public var chineseName: String {
        switch self {
        case .dutyOfficer: return "值班员"
        case .dutyLeader: return "带班领导"
        case .principal: return "主要负责同志"
        case .generalCommander: return "总指挥"
        case .commander: return "指挥长"
        case .deputyCommander: return "副指挥长"
        case .hqOffice: return "指挥部办公室"
        case .memberLiaison: return "成员单位联络员"
        case .enterpriseReporter: return "企业报告员"
        case .pressOfficer: return "新闻发布员"
        case .viewer: return "查看"
        case .administrator: return "管理员"
        }
    }

    /// Which incidents a holder sees, below the jurisdiction of the grant.
    public var visibility: Visibility {
        switch self {
        case .enterpriseReporter: return .ownUnit
        case .memberLiaison: return .involvedUnit
        default: return .jurisdiction
        }
    }

    public enum Visibility: String, Sendable {
        /// Every incident in the grant's jurisdiction and the ones below it.
        case jurisdiction
        /// Only incidents reported for the grant's own organisation.
        case ownUnit
        /// Only incidents in which the grant's organisation has a part (lead department, reporting unit).
        case involvedUnit
    }

    public static func < (lhs: UserRole, rhs: UserRole) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What an account may do. Each API route needs one action; `Permissions.table` says which
/// roles have it. Response decisions also need the plan's authority (see `Identity`).
public enum Action: String, CaseIterable, Codable, Sendable {
    case readIncident = "incident.read"
    case readTimeline = "timeline.read"
    case reportIncident = "incident.report"
    case followUp = "incident.follow-up"
    case verify = "incident.verify"
    case decideResponse = "response.decide"
    case command = "incident.command"
    /// Acknowledge and carry out a task of the on-site HQ assigned to the account's own unit
    /// (with `incident.command`, any task).
    case actOnTask = "task.act"
    case fulfilObligation = "obligation.fulfil"
    case correctTimeline = "timeline.correct"
    case readWarning = "warning.read"
    /// Draft, submit and adjust warnings; an enterprise reporter, its own unit's warning only.
    case draftWarning = "warning.draft"
    /// Approve, publish and lift warnings, in the plan post the account holds (Lhasa 3.2 …).
    case issueWarning = "warning.issue"
    /// Record the plan's measures for a warning as assigned and carried out.
    case actOnWarning = "warning.act"
    case manageJurisdictions = "jurisdiction.manage"
    case manageAccounts = "account.manage"

    public var chineseName: String {
        switch self {
        case .readIncident: return "查看事故"
        case .readTimeline: return "查看事故记录"
        case .reportIncident: return "报告事故（初报）"
        case .followUp: return "续报、补报"
        case .verify: return "核实事故"
        case .decideResponse: return "启动、调整、终止响应，移交指挥权"
        case .command: return "指挥处置（暂停救援、确认终止条件、现场指挥部、善后、评估、归档）"
        case .actOnTask: return "受领、办理本单位的现场任务"
        case .fulfilObligation: return "登记报告义务已履行"
        case .correctTimeline: return "更正记录"
        case .readWarning: return "查看预警"
        case .draftWarning: return "起草、报请审批、调整预警（企业报告员：本单位预警）"
        case .issueWarning: return "审定、发布、解除预警（须持预案规定的岗位）"
        case .actOnWarning: return "登记预警措施的落实"
        case .manageJurisdictions: return "管理辖区"
        case .manageAccounts: return "管理账号与令牌"
        }
    }
}

/// The permission table: role × action. Scope comes from the grant (its jurisdiction and the
/// ones below; own unit for enterprise reporters; involved unit for member-unit liaisons).
/// `docs/security.md` prints this table and the permission matrix test is generated from it.
public enum Permissions {
    public static let table: [UserRole: Set<Action>] = {
        let read: Set<Action> = [.readIncident, .readTimeline, .readWarning]
        let duty: Set<Action> = read.union([.reportIncident, .followUp, .verify, .fulfilObligation, .draftWarning, .actOnWarning])
        let leadership: Set<Action> = read.union([.followUp, .verify, .decideResponse, .command, .actOnTask, .draftWarning, .issueWarning, .actOnWarning])
        return [
            .dutyOfficer: duty,
            .dutyLeader: duty.union([.command, .actOnTask, .correctTimeline]),
            .principal: leadership,
            .generalCommander: leadership,
            .commander: leadership,
            .deputyCommander: leadership,
            .hqOffice: duty.union([.command, .actOnTask, .correctTimeline]),
            .memberLiaison: read.union([.actOnTask]),
            .enterpriseReporter: [.readIncident, .reportIncident, .followUp, .readWarning, .draftWarning],
            .pressOfficer: [.readIncident, .readWarning],
            .viewer: read,
            .administrator: [.readIncident, .readTimeline, .readWarning, .manageJurisdictions, .manageAccounts],
        ]
    }()

    public static func allows(_ role: UserRole, _ action: Action) -> Bool {
        table[role]?.contains(action) ?? false
    }
}
