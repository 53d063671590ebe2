import Foundation

/// What the plan says about one accident: its grade, the default response level and who must
/// decide and sign it, what the plan's own bodies do at that grade, and every reporting clock.
public struct Classification: Sendable {
    public let plan: Plan
    public let figures: AccidentFigures
    public let category: AccidentCategory?
    public let decision: GradeDecision
    public let responseLevel: ResponseLevel?
    public let authority: AuthorityView?
    public let scope: ScopeRule?
    public let obligations: [ScheduledObligation]
    public let leadDepartments: [LeadDepartment]

    public var grade: Grade? { decision.grade }
}

/// A level's authority with role ids turned into the plan's names for them.
public struct AuthorityView: Sendable {
    public let authority: LevelAuthority
    public let decides: [String]
    public let signs: [String]
    public let proposedBy: [String]
}

extension Plan {
    /// Classifies an accident under this plan.
    public func classify(_ figures: AccidentFigures, category: AccidentCategory?, knownAt: Date, occurredAt: Date? = nil) -> Classification {
        let decision = grade(figures, category: category?.id)
        let level = decision.grade.flatMap { response.defaultLevel(for: $0) }
        let authority = level.flatMap { response.authority(for: $0) }.map(view)
        let input = ScheduleInput(grade: decision.grade, category: category?.id, knownAt: knownAt, occurredAt: occurredAt)
        return Classification(
            plan: self,
            figures: figures,
            category: category,
            decision: decision,
            responseLevel: level,
            authority: authority,
            scope: decision.grade.flatMap { response.scope(for: $0) },
            obligations: obligations(for: input),
            leadDepartments: category?.leads ?? []
        )
    }

    /// The plan's name for a role id, or the id itself when the plan does not define it.
    public func roleName(_ id: String) -> String { command.role(id)?.name ?? id }

    public func view(_ authority: LevelAuthority) -> AuthorityView {
        AuthorityView(
            authority: authority,
            decides: authority.decides.map(roleName),
            signs: authority.signs.map(roleName),
            proposedBy: authority.proposedBy.map(roleName)
        )
    }
}
