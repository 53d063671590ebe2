import Foundation

/// The facts an obligation schedule is computed from.
public struct ScheduleInput: Sendable {
    public var grade: Grade?
    public var category: String?
    /// When the accident became known (接报时间).
    public var knownAt: Date
    /// When it happened, for rules counted 事发后; `knownAt` stands in when unknown.
    public var occurredAt: Date?
    /// When a response was started, for rules triggered by it.
    public var responseStartedAt: Date?

    public init(grade: Grade?, category: String?, knownAt: Date, occurredAt: Date? = nil, responseStartedAt: Date? = nil) {
        self.grade = grade
        self.category = category
        self.knownAt = knownAt
        self.occurredAt = occurredAt
        self.responseStartedAt = responseStartedAt
    }
}

/// One concrete obligation: a rule with its clock started.
public struct ScheduledObligation: Sendable {
    public let rule: ObligationRule
    /// When its clock started; nil while its trigger has not happened (a response not yet started).
    public let startsAt: Date?
    /// The deadline; nil while the clock has not started.
    public let dueAt: Date?
    /// Set when the rule counts from the accident's occurrence but only the time it became known was given.
    public let assumedOccurrence: Bool
}

extension Plan {
    /// Turns the plan's reporting rules into concrete obligations for one accident.
    ///
    /// A rule applies when its grades and categories match. An applicable rule that another
    /// applicable rule `overrides` is dropped. A rule with `after: X` starts its clock when X is
    /// due (the body above has the report by then at the latest); when X was overridden, the
    /// earliest of the rules that replaced it counts.
    public func obligations(for input: ScheduleInput) -> [ScheduledObligation] {
        let applicable = reporting.rules.filter { applies($0.when, to: input) }
        let overridden = Set(applicable.flatMap(\.overrides))
        let active = applicable.filter { !overridden.contains($0.id) }
        var resolver = DueResolver(active: active, applicable: applicable, input: input)
        return active.map { rule in
            let start = resolver.start(of: rule)
            return ScheduledObligation(
                rule: rule,
                startsAt: start.date,
                dueAt: start.date.map { $0.addingTimeInterval(TimeInterval(rule.withinMinutes * 60)) },
                assumedOccurrence: start.assumedOccurrence
            )
        }
        .sorted { lhs, rhs in
            switch (lhs.dueAt, rhs.dueAt) {
            case let (left?, right?) where left != right: return left < right
            case (nil, _?): return false
            case (_?, nil): return true
            default:
                // Same deadline: the one whose clock started first comes first (the unit's call before the bureau's onward report).
                if let left = lhs.startsAt, let right = rhs.startsAt, left != right { return left < right }
                return lhs.rule.id < rhs.rule.id
            }
        }
    }

    func applies(_ condition: RuleCondition, to input: ScheduleInput) -> Bool {
        if !condition.grades.isEmpty {
            guard let grade = input.grade, condition.grades.contains(grade) else { return false }
        }
        if !condition.categories.isEmpty && !category(input.category, isWithinAnyOf: condition.categories) { return false }
        if !condition.exceptCategories.isEmpty && category(input.category, isWithinAnyOf: condition.exceptCategories) { return false }
        return true
    }
}

/// Works out when each rule's clock starts, following `after` links with memoisation and a guard against cycles.
private struct DueResolver {
    let active: [ObligationRule]
    let applicable: [ObligationRule]
    let input: ScheduleInput
    private var memo: [String: (date: Date?, assumedOccurrence: Bool)] = [:]
    private var visiting: Set<String> = []

    init(active: [ObligationRule], applicable: [ObligationRule], input: ScheduleInput) {
        self.active = active
        self.applicable = applicable
        self.input = input
    }

    mutating func start(of rule: ObligationRule) -> (date: Date?, assumedOccurrence: Bool) {
        if let known = memo[rule.id] { return known }
        guard visiting.insert(rule.id).inserted else { return ownClock(of: rule) }
        defer { visiting.remove(rule.id) }
        var result = ownClock(of: rule)
        if let after = rule.after, result.date != nil || rule.trigger == .accidentKnown, let predecessor = due(of: after) {
            result = predecessor
        }
        memo[rule.id] = result
        return result
    }

    /// When the rule `id` is due, or when the rules that replaced it are due (the earliest).
    private mutating func due(of id: String) -> (date: Date?, assumedOccurrence: Bool)? {
        let candidates = active.filter { $0.id == id }
            + active.filter { replacing in replacing.overrides.contains(id) && applicable.contains { $0.id == id } }
        let dues = candidates.compactMap { rule -> (date: Date, assumedOccurrence: Bool)? in
            let start = start(of: rule)
            guard let date = start.date else { return nil }
            return (date.addingTimeInterval(TimeInterval(rule.withinMinutes * 60)), start.assumedOccurrence)
        }
        return dues.min { $0.date < $1.date }.map { ($0.date, $0.assumedOccurrence) }
    }

    private func ownClock(of rule: ObligationRule) -> (date: Date?, assumedOccurrence: Bool) {
        switch rule.trigger {
        case .responseStarted:
            return (input.responseStartedAt, false)
        case .accidentKnown, .casualtyChange:
            if rule.clockFrom == .occurred {
                return (input.occurredAt ?? input.knownAt, input.occurredAt == nil)
            }
            return (input.knownAt, false)
        }
    }
}
