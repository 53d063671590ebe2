import Foundation
import YingjiCore
import YingjiPlans

/// The shipped plans and the test fixtures, found from this file's location.
enum TestPlans {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = root.appendingPathComponent("plans")
    static let fixtures = root.appendingPathComponent("Tests/Fixtures/plans")

    static func load(_ id: String) throws -> Plan { try PlanLibrary(directory: directory).load(id) }

    static func national() throws -> PlanDocument {
        try PlanLibrary.readDocument(at: directory.appendingPathComponent("national.yaml"))
    }

    /// Composes a plan written inline in a test with the shipped national rules.
    static func compose(_ yaml: String) throws -> Plan {
        try PlanComposer.compose(try PlanLibrary.parse(yaml, file: "inline.yaml"), base: try national())
    }

    /// 2026-03-01T02:10:00+08:00, the instant every schedule test starts from.
    static let knownAt = Timestamp.parse("2026-03-01T02:10:00+08:00")!

    static func minutes(_ n: Int, after date: Date = knownAt) -> Date { date.addingTimeInterval(TimeInterval(n * 60)) }
}

extension Plan {
    func grade(deaths: Int64 = 0, missing: Int64 = 0, seriousInjuries: Int64 = 0, poisoned: Int64 = 0,
               directLoss: Int64 = 0, relocated: Int64 = 0, category: String? = nil) -> Grade? {
        let figures = AccidentFigures([.deaths: deaths, .missing: missing, .seriousInjuries: seriousInjuries,
                                       .poisoned: poisoned, .directLoss: directLoss, .relocated: relocated])
        return grade(figures, category: category).grade
    }

    func schedule(grade: Int?, category: String? = nil, occurredAt: Date? = nil, responseStartedAt: Date? = nil) -> [String: ScheduledObligation] {
        let input = ScheduleInput(grade: grade.flatMap(Grade.init), category: category, knownAt: TestPlans.knownAt,
                                  occurredAt: occurredAt, responseStartedAt: responseStartedAt)
        return Dictionary(uniqueKeysWithValues: obligations(for: input).map { ($0.rule.id, $0) })
    }
}
