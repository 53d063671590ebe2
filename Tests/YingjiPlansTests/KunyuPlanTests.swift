import Foundation
import Testing
import YingjiCore

/// Kunyu 附件1: the national four-grade table, with 重伤 including acute industrial poisoning.
@Suite struct KunyuGradingTests {
    let plan: Plan
    init() throws { plan = try TestPlans.load("kunyu") }

    /// Every boundary on both sides: 以上 includes the number, 以下 excludes it.
    @Test(arguments: [
        (Int64(0), nil), (1, 4), (2, 4), (3, 3), (9, 3), (10, 2), (29, 2), (30, 1), (31, 1),
    ] as [(Int64, Int?)])
    func deaths(_ deaths: Int64, _ expected: Int?) {
        #expect(plan.grade(deaths: deaths)?.number == expected)
    }

    @Test(arguments: [
        (Int64(0), nil), (1, 4), (9, 4), (10, 3), (49, 3), (50, 2), (99, 2), (100, 1),
    ] as [(Int64, Int?)])
    func seriousInjuries(_ count: Int64, _ expected: Int?) {
        #expect(plan.grade(seriousInjuries: count)?.number == expected)
    }

    @Test(arguments: [
        (Int64(0), nil), (1, 4), (9_999_999, 4), (10_000_000, 3), (49_999_999, 3), (50_000_000, 2),
        (99_999_999, 2), (100_000_000, 1),
    ] as [(Int64, Int?)])
    func directLoss(_ yuan: Int64, _ expected: Int?) {
        #expect(plan.grade(directLoss: yuan)?.number == expected)
    }

    @Test func poisoningCountsAsSeriousInjury() {
        // 重伤（包括急性工业中毒）: 6 serious injuries + 4 poisoned = 10 → 较大.
        #expect(plan.grade(seriousInjuries: 6, poisoned: 4)?.number == 3)
        #expect(plan.grade(poisoned: 100)?.number == 1)
    }

    @Test func missingDoNotCountAsDead() {
        // Kunyu's table says 死亡 without 含失踪: 8 dead + 2 missing stays 较大.
        #expect(plan.grade(deaths: 8, missing: 2)?.number == 3)
        #expect(plan.grade(missing: 40) == nil)
    }

    @Test func mostSevereCriterionWins() {
        let decision = plan.grade(AccidentFigures([.deaths: 2, .seriousInjuries: 12, .directLoss: 60_000_000]))
        #expect(decision.grade?.number == 2)
        #expect(decision.matched.map(\.grade.number) == [2, 3, 4])
        #expect(decision.deciding.map(\.metric) == [.directLoss])
        #expect(decision.deciding.first?.source.clause == "附件1")
    }

    @Test func responseAuthorityPerLevel() throws {
        let level3 = try #require(plan.response.authority(for: ResponseLevel(3)!))
        #expect(plan.view(level3).signs == ["师市专项指挥部指挥长"])
        let level1 = try #require(plan.response.authority(for: ResponseLevel(1)!))
        #expect(plan.view(level1).decides == ["师市党委", "师市主要负责同志"])
        #expect(plan.response.scope(for: Grade(2)!)?.mode == .firstResponse)
        #expect(plan.response.scope(for: Grade(2)!)?.handoverTo == "兵团专项指挥机构")
        #expect(plan.response.scope(for: Grade(4)!)?.mode == .lead)
        #expect(plan.response.ending.who == .starter)
    }

    @Test func nineWorkingGroupsWithLeads() {
        let groups = plan.command.onSite.groups
        #expect(groups.map(\.name) == ["综合协调组", "抢险救援组", "宣传信息组", "治安交通组", "医疗救护组", "环境监测组", "应急保障组", "善后处置组", "专家咨询组"])
        #expect(plan.command.onSite.group("rescue")?.lead == "师市应急管理局")
        #expect(plan.command.onSite.group("security-traffic")?.lead == "师市公安局")
    }

    @Test func warningActionsAreTheSevenMeasuresOf425() {
        let actions = plan.warnings.actions(for: 3)
        #expect(actions?.items.count == 7)
        #expect(actions?.source.clause == "4.2.5")
        #expect(actions?.items.first?.text.hasPrefix("组织收集、分析事故险情信息") == true)
    }
}

/// Kunyu 5.1.1 and 5.7 on top of the inherited 条例第九条–第十三条.
@Suite struct KunyuObligationTests {
    let plan: Plan
    init() throws { plan = try TestPlans.load("kunyu") }

    @Test func grade2ReportsToBingtuanWithin30MinutesOfOccurrence() throws {
        let occurred = TestPlans.minutes(-10)
        let due = plan.schedule(grade: 2, occurredAt: occurred)
        #expect(due["kunyu-bingtuan-30min"]?.dueAt == TestPlans.minutes(20))
        #expect(due["kunyu-bingtuan-30min"]?.rule.to.hasPrefix("兵团应急管理局") == true)
        // The plan's 30 minutes replace the regulation's 2-hours-per-level hop to the 兵团.
        #expect(due["escalate-province"] == nil)
        // The next level up counts from when the 兵团 has it: 20 min + 2 h.
        #expect(due["escalate-national"]?.dueAt == TestPlans.minutes(140))
        #expect(due["unit-to-local"]?.dueAt == TestPlans.minutes(60))
        // 5.7 applies to 较大/一般 only.
        #expect(due["kunyu-authoritative-release"] == nil)
    }

    @Test func grade3EscalatesToBingtuanWithinTwoHoursPerLevel() {
        let due = plan.schedule(grade: 3)
        #expect(due["kunyu-bingtuan-30min"] == nil)
        #expect(due["escalate-province"]?.dueAt == TestPlans.minutes(60 + 120))
        #expect(due["escalate-province"]?.rule.source.clause == "条例第十条、第十一条")
        #expect(due["escalate-national"] == nil)
        #expect(due["kunyu-authoritative-release"]?.dueAt == TestPlans.minutes(5 * 60))
        #expect(due["kunyu-first-press-conference"]?.dueAt == TestPlans.minutes(24 * 60))
        #expect(due["kunyu-authoritative-release"]?.assumedOccurrence == true)
    }

    @Test func grade4StaysAtThePrefecture() {
        // 一般事故上报至设区的市级: 师市 is that level, so nothing climbs further.
        let due = plan.schedule(grade: 4)
        #expect(Set(due.keys) == ["unit-to-local", "kunyu-authoritative-release", "kunyu-first-press-conference", "late-casualty-report", "kunyu-archive-owner"])
    }

    @Test func archiveOwnerClockStartsWithTheResponse() {
        #expect(plan.schedule(grade: 3)["kunyu-archive-owner"]?.dueAt == nil)
        let started = TestPlans.minutes(45)
        #expect(plan.schedule(grade: 3, responseStartedAt: started)["kunyu-archive-owner"]?.dueAt == started)
    }

    @Test func lateCasualtyReportWindowDependsOnCategory() {
        let occurred = TestPlans.minutes(-30)
        let fire = plan.schedule(grade: 3, category: "fire", occurredAt: occurred)
        #expect(fire["late-casualty-report-road-fire"]?.dueAt == TestPlans.minutes(7 * 1440, after: occurred))
        #expect(fire["late-casualty-report"] == nil)
        let construction = plan.schedule(grade: 3, category: "construction", occurredAt: occurred)
        #expect(construction["late-casualty-report"]?.dueAt == TestPlans.minutes(30 * 1440, after: occurred))
        #expect(construction["late-casualty-report-road-fire"] == nil)
    }

    @Test func noGradeStillOwesTheUnitReport() {
        let due = plan.schedule(grade: nil)
        #expect(Set(due.keys) == ["unit-to-local", "late-casualty-report", "kunyu-archive-owner"])
    }
}
