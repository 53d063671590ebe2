import Foundation
import Testing
import YingjiCore
import YingjiPlans

/// A plan that exists only as a test fixture loads, grades and schedules with no Swift change.
@Suite struct FourthPlanTests {
    let plan: Plan
    init() throws {
        plan = try PlanLibrary.load(file: TestPlans.fixtures.appendingPathComponent("hexi.yaml"), baseDirectory: TestPlans.directory)
    }

    @Test func gradesByItsOwnThresholds() {
        #expect(plan.grade(deaths: 1)?.number == 4)
        #expect(plan.grade(deaths: 2)?.number == 3)
        #expect(plan.grade(deaths: 7)?.number == 3)
        #expect(plan.grade(deaths: 8)?.number == 2)
        #expect(plan.grade(deaths: 20)?.number == 1)
        // Its grade 3 counts the missing; its grade 4 does not.
        #expect(plan.grade(deaths: 1, missing: 1)?.number == 3)
        // The extra criterion: people relocated, with no category condition.
        #expect(plan.grade(relocated: 99_999) == nil)
        #expect(plan.grade(relocated: 100_000)?.number == 1)
        #expect(plan.grade(directLoss: 499_999)?.number == nil)
        #expect(plan.grade(directLoss: 500_000)?.number == 4)
        #expect(plan.grade(directLoss: 5_000_000) == nil)
    }

    @Test func itsOnSiteHQGivesTasksItsOwnAcknowledgementTime() throws {
        #expect(plan.command.onSite.acknowledgeWithinMinutes == 5)
        let post = CommandPost.establish(plan: plan, at: Date(timeIntervalSince1970: 0), leadDepartment: nil)
        #expect(post.acknowledgeWithinMinutes == 5)
        #expect(post.groups.map(\.name) == ["抢险救援组"])
        // The seed plans set none: the default 10 minutes.
        #expect(try TestPlans.load("kunyu").command.onSite.acknowledgeWithinMinutes == nil)
    }

    @Test func defaultLevelAndPrecondition() throws {
        #expect(plan.response.defaultLevel(for: Grade(2)!) == ResponseLevel(1))
        let result = plan.classify(AccidentFigures([.deaths: 3]), category: nil, knownAt: TestPlans.knownAt)
        #expect(result.responseLevel?.number == 3)
        #expect(result.authority?.authority.precondition?.text == "报告河东市政府后")
        #expect(result.authority?.signs == ["区应急指挥部总指挥"])
    }

    @Test func schedulesItsOwnChainAndOverride() {
        let due = plan.schedule(grade: 2)
        #expect(due["unit-to-local"] == nil)
        #expect(due["hexi-unit-20min"]?.dueAt == TestPlans.minutes(20))
        #expect(due["hexi-leader-brief"]?.dueAt == TestPlans.minutes(35))
        // Each level up within 2 h, counted from the 20-minute report that replaced 第九条's hour.
        #expect(due["escalate-prefecture"]?.dueAt == TestPlans.minutes(140))
        #expect(due["escalate-province"]?.dueAt == TestPlans.minutes(260))
        #expect(due["escalate-national"]?.dueAt == TestPlans.minutes(380))
        #expect(due["escalate-national"]?.rule.to == "应急管理部")
        let minor = plan.schedule(grade: 4)
        #expect(minor["hexi-leader-brief"] == nil)
        #expect(minor["escalate-prefecture"] != nil)
        #expect(minor["escalate-province"] == nil)
    }

    @Test func leadDepartmentBySubCase() throws {
        let category = try #require(plan.category(named: "溃坝"))
        #expect(category.leads.map(\.units) == [["区应急管理局"], ["区自然资源局"]])
        #expect(category.leads.map(\.source.clause) == ["1.3", "1.3(2)"])
        // National categories are still inherited.
        #expect(plan.category(named: "火灾")?.id == "fire")
    }

    @Test func checkerFindsItsGaps() {
        let findings = plan.check()
        #expect(findings.filter { $0.severity == .error }.isEmpty)
        let gaps = findings.filter { $0.code == "grading.gap" }.compactMap(\.range)
        #expect(gaps.map { "\($0.metric.rawValue) \($0.low) \($0.high.map(String.init) ?? "∞")" } == [
            "directLoss 1 500000", "directLoss 5000000 ∞", "relocated 1 100000",
        ])
        #expect(findings.contains { $0.code == "grading.counting-mismatch" && $0.message.contains("死亡") })
    }
}
