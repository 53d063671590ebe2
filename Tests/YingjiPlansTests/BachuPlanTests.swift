import Foundation
import Testing
import YingjiCore

/// Bachu (征求意见稿): its 附件1 grade table is not published, so it grades by the inherited
/// 条例第三条; it overrides 第九条 with 4.1's "30分钟内电话报告，2小时内书面报告".
@Suite struct BachuPlanTests {
    let plan: Plan
    init() throws { plan = try TestPlans.load("bachu") }

    @Test func gradesByTheInheritedNationalTable() {
        #expect(plan.grading.source.clause == "条例第三条")
        let boundaries: [(Int64, Int?)] = [(0, nil), (1, 4), (2, 4), (3, 3), (9, 3), (10, 2), (29, 2), (30, 1)]
        for (deaths, expected) in boundaries {
            #expect(plan.grade(deaths: deaths)?.number == expected, "deaths \(deaths)")
        }
        let injuries: [(Int64, Int?)] = [(1, 4), (9, 4), (10, 3), (49, 3), (50, 2), (99, 2), (100, 1)]
        for (count, expected) in injuries {
            #expect(plan.grade(seriousInjuries: count)?.number == expected, "injuries \(count)")
        }
        let losses: [(Int64, Int?)] = [(1, 4), (9_999_999, 4), (10_000_000, 3), (49_999_999, 3), (50_000_000, 2), (99_999_999, 2), (100_000_000, 1)]
        for (yuan, expected) in losses {
            #expect(plan.grade(directLoss: yuan)?.number == expected, "loss \(yuan)")
        }
        #expect(plan.grade(seriousInjuries: 5, poisoned: 5)?.number == 3)
        #expect(plan.grade(deaths: 2, missing: 5)?.number == 4)
    }

    @Test func levelThreeNeedsConsultingThePrefecture() throws {
        let result = plan.classify(AccidentFigures([.deaths: 4]), category: nil, knownAt: TestPlans.knownAt)
        #expect(result.responseLevel?.number == 3)
        #expect(result.authority?.authority.precondition?.text == "请示地委、行署后")
        #expect(result.authority?.signs == ["县应急救援指挥部总指挥"])
        #expect(result.scope?.mode == .firstResponse)
        #expect(result.scope?.ledBy == "地委、行署")
        let minor = plan.classify(AccidentFigures([.deaths: 1]), category: nil, knownAt: TestPlans.knownAt)
        #expect(minor.scope?.mode == .lead)
        #expect(minor.authority?.signs == ["县人民政府主要领导", "县应急救援指挥部总指挥"])
    }

    @Test func unitHeadPhonesIn30MinutesAndWritesIn2Hours() {
        let due = plan.schedule(grade: 4)
        #expect(due["unit-to-local"] == nil)
        #expect(due["bachu-unit-phone-30min"]?.dueAt == TestPlans.minutes(30))
        #expect(due["bachu-unit-phone-30min"]?.rule.channel == .phone)
        #expect(due["bachu-unit-written-2h"]?.dueAt == TestPlans.minutes(120))
        #expect(due["bachu-unit-written-2h"]?.rule.channel == .written)
        // 立即 to the county leaders once the bureau has the phone report.
        #expect(due["bachu-bureau-to-county-leaders"]?.dueAt == TestPlans.minutes(30))
        // 一般 reaches the prefecture (喀什地区): 2 h after the bureau has it.
        #expect(due["escalate-prefecture"]?.dueAt == TestPlans.minutes(150))
        #expect(due["escalate-province"] == nil)
    }

    @Test func graverAccidentsClimbOneLevelEveryTwoHours() {
        let due = plan.schedule(grade: 3)
        #expect(due["escalate-province"]?.dueAt == TestPlans.minutes(270))
        #expect(due["escalate-national"] == nil)
        let grave = plan.schedule(grade: 1)
        #expect(grave["escalate-national"]?.dueAt == TestPlans.minutes(390))
        #expect(grave["escalate-national"]?.rule.from == grave["escalate-province"]?.rule.to)
    }

    @Test func leadDepartmentByCategoryAndSubCase() throws {
        let chemicals = try #require(plan.category(named: "危险化学品"))
        let leads = Dictionary(uniqueKeysWithValues: chemicals.leads.map { ($0.subCase ?? "", $0.units) })
        #expect(leads["production-storage-use"] == ["县应急管理局"])
        #expect(leads["road"] == ["县公安局"])
        #expect(leads["gas"] == ["县住房和城乡建设局"])
        #expect(chemicals.leads.count == 8)
        #expect(plan.category(named: "fire")?.leads.first?.units == ["巴楚县消防救援大队"])
        #expect(plan.category(named: "special-equipment")?.leads.first?.units == ["县市场监督管理局"])
        #expect(plan.categories.filter { !$0.leads.isEmpty }.count == 15)
        #expect(chemicals.leads.allSatisfy { $0.source.clause.hasPrefix("2.1.6") })
    }

    @Test func tenWorkingGroupsAndPlanManagement() {
        #expect(plan.command.onSite.groups.map(\.name) == ["综合协调组", "事故救援组", "交通管制组", "医疗救护组", "环境监测组", "安全保卫组", "应急保障组", "新闻宣传组", "善后处置组", "专家咨询组"])
        #expect(plan.management.filing?.withinWorkingDays == 20)
        #expect(plan.management.filing?.source.clause == "7.2")
        #expect(plan.management.evaluationEveryYears == 3)
        #expect(plan.management.drills.contains { $0.everyMonths == 24 && $0.source.clause == "7.6.1" })
        #expect(plan.warnings.actions(for: 4)?.items.count == 4)
    }

    @Test func checkFindsNoErrorsAndNoGaps() {
        let findings = plan.check()
        #expect(findings.filter { $0.severity == .error }.map(\.message) == [])
        #expect(findings.filter { $0.code.hasPrefix("grading.") }.isEmpty)
    }
}
