/// 分级响应 — who may start each response level, the default level per grade, and what the plan handles itself.
public struct ResponsePolicy: Sendable, Encodable {
    public let levels: [LevelAuthority]
    public let defaultLevels: [DefaultLevel]
    public let defaultLevelSource: Source
    public let scope: [ScopeRule]
    /// 谁启动、谁关闭 — who may end a response.
    public let ending: EndingRule

    public func authority(for level: ResponseLevel) -> LevelAuthority? { levels.first { $0.level == level } }

    public func defaultLevel(for grade: Grade) -> ResponseLevel? {
        defaultLevels.first { $0.grade == grade }?.level
    }

    public func scope(for grade: Grade) -> ScopeRule? { scope.first { $0.grades.contains(grade) } }
}

/// The response level a grade starts at unless the deciding body raises or lowers it.
public struct DefaultLevel: Sendable, Encodable {
    public let grade: Grade
    public let level: ResponseLevel
}

/// Who decides and who signs the order for one response level, and what must happen first.
public struct LevelAuthority: Sendable, Encodable {
    public let level: ResponseLevel
    /// Roles (ids from `command.roles`) that decide to start the level.
    public let decides: [String]
    /// Roles that may sign the order; any one of them suffices.
    public let signs: [String]
    /// Roles that propose the level to those who decide (Lhasa 4.3.3: the HQ proposes, the general HQ decides).
    public let proposedBy: [String]
    public let precondition: Precondition?
    public let text: String?
    public let source: Source
}

/// Something that must be done before a level may be started (Bachu 4.2: 请示地委、行署后).
public struct Precondition: Sendable, Encodable {
    public let text: String
    /// Bodies that must be consulted (free text: they are often above the plan's own organisation).
    public let consult: [String]
}

/// What the plan's own bodies do for accidents of some grades.
public struct ScopeRule: Sendable, Encodable {
    public enum Mode: String, Sendable, CaseIterable, Encodable {
        /// 负责应对 — the plan's HQ leads the response.
        case lead
        /// 先期处置 — the plan's HQ responds first and hands command to a higher HQ when it arrives.
        case firstResponse
        /// 指导协助 — a lower level leads; the plan's HQ guides and supports.
        case support

        public var chineseName: String {
            switch self {
            case .lead: return "负责应对"
            case .firstResponse: return "先期处置，上级到达后移交指挥权"
            case .support: return "指导、协助下级处置"
            }
        }
    }

    public let grades: [Grade]
    public let mode: Mode
    /// Who leads instead, for `firstResponse` and `support`.
    public let ledBy: String?
    /// 移交指挥权 — to whom command passes and when.
    public let handoverTo: String?
    public let handoverWhen: String?
    public let text: String?
    public let source: Source
}

/// Who may end a response. The plans all say the body that started it (谁启动、谁关闭).
public struct EndingRule: Sendable, Encodable {
    public enum Who: String, Sendable, CaseIterable, Encodable {
        /// The body that started the response.
        case starter
    }

    public let who: Who
    public let text: String
    public let source: Source
}
