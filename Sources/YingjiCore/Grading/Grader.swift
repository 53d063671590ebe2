/// A criterion that matched an accident's figures.
public struct CriterionMatch: Sendable {
    public let grade: Grade
    public let metric: Metric
    public let includes: [Metric]
    /// The compared value (the metric plus what it includes).
    public let value: Int64
    public let criterion: GradeCriterion
    public var source: Source { criterion.source }
}

/// The grade of an accident and every criterion behind it.
public struct GradeDecision: Sendable {
    /// The most severe grade any criterion matched; nil when none did (未达到分级标准), which is
    /// a legitimate answer for an accident whose figures are below every criterion.
    public let grade: Grade?
    /// All matching criteria, most severe first.
    public let matched: [CriterionMatch]

    /// The matches that decided the grade.
    public var deciding: [CriterionMatch] { matched.filter { $0.grade == grade } }
}

extension GradingTable {
    /// Grades an accident: every criterion is tried; the most severe grade matched wins.
    /// A criterion with `categories` only applies to accidents in (or below) one of them.
    public func grade(_ figures: AccidentFigures, category: String?, in plan: Plan) -> GradeDecision {
        var matched: [CriterionMatch] = []
        for rule in rules {
            for criterion in rule.criteria {
                if !criterion.categories.isEmpty && !plan.category(category, isWithinAnyOf: criterion.categories) { continue }
                let value = criterion.value(of: figures)
                if criterion.contains(value) {
                    matched.append(CriterionMatch(grade: rule.grade, metric: criterion.metric, includes: criterion.includes, value: value, criterion: criterion))
                }
            }
        }
        matched.sort { $0.grade.number < $1.grade.number }
        return GradeDecision(grade: matched.first?.grade, matched: matched)
    }
}

extension Plan {
    public func grade(_ figures: AccidentFigures, category: String? = nil) -> GradeDecision {
        grading.grade(figures, category: category, in: self)
    }
}
