import Foundation
import Testing
import YingjiCore

/// Lhasa 1.4: its own table, with 死亡（含失踪） on grades 1, 2 and 4, 100人以上中毒 on grade 1,
/// a 100万 floor on grade 4's loss, special-equipment losses and pressure-leak relocations.
@Suite struct LhasaGradingTests {
    let plan: Plan
    init() throws { plan = try TestPlans.load("lhasa") }

    @Test func deathsBoundaries() {
        let cases: [(Int64, Int?)] = [(0, nil), (1, 4), (2, 4), (3, 3), (9, 3), (10, 2), (29, 2), (30, 1)]
        for (deaths, expected) in cases {
            #expect(plan.grade(deaths: deaths)?.number == expected, "deaths \(deaths)")
        }
    }

    @Test func missingCountAsDeadWhereThePlanSaysSo() {
        // 二级: 10人以上、30人以下死亡（含失踪）.
        #expect(plan.grade(deaths: 8, missing: 2)?.number == 2)
        // 一级: 30人以上死亡（含失踪）.
        #expect(plan.grade(deaths: 25, missing: 5)?.number == 1)
        // 四级: 3人以下死亡（失踪）.
        #expect(plan.grade(missing: 2)?.number == 4)
        // 三级 says 死亡 only: 3 missing and no dead is not 较大, and (3 not < 3) not 一般 either.
        #expect(plan.grade(missing: 3) == nil)
        #expect(plan.grade(deaths: 3)?.number == 3)
    }

    @Test func seriousInjuriesAndPoisoning() {
        let cases: [(Int64, Int?)] = [(1, 4), (9, 4), (10, 3), (49, 3), (50, 2), (99, 2), (100, nil)]
        for (count, expected) in cases {
            #expect(plan.grade(seriousInjuries: count)?.number == expected, "injuries \(count)")
        }
        #expect(plan.grade(poisoned: 99) == nil)
        #expect(plan.grade(poisoned: 100)?.number == 1)
    }

    @Test func directLossHasA100WanFloor() {
        let cases: [(Int64, Int?)] = [(999_999, nil), (1_000_000, 4), (9_999_999, 4), (10_000_000, 3), (49_999_999, 3), (50_000_000, 2), (99_999_999, 2), (100_000_000, 1)]
        for (yuan, expected) in cases {
            #expect(plan.grade(directLoss: yuan)?.number == expected, "loss \(yuan)")
        }
    }

    @Test func specialEquipmentLossesFrom1Wan() {
        #expect(plan.grade(directLoss: 9_999, category: "special-equipment") == nil)
        #expect(plan.grade(directLoss: 10_000, category: "special-equipment")?.number == 4)
        #expect(plan.grade(directLoss: 10_000) == nil)
        // A pressure-vessel leak is a special-equipment accident (parent).
        #expect(plan.grade(directLoss: 50_000, category: "pressure-leak")?.number == 4)
        #expect(plan.grade(directLoss: 10_000_000, category: "special-equipment")?.number == 3)
    }

    @Test func relocationOnlyForPressureLeaks() {
        let cases: [(Int64, Int?)] = [(499, nil), (500, 4), (9_999, 4), (10_000, 3), (49_999, 3), (50_000, 2), (149_999, 2), (150_000, 1)]
        for (people, expected) in cases {
            #expect(plan.grade(relocated: people, category: "pressure-leak")?.number == expected, "relocated \(people)")
        }
        #expect(plan.grade(relocated: 200_000) == nil)
        #expect(plan.grade(relocated: 200_000, category: "hazardous-chemicals") == nil)
    }

    @Test func checkReportsTheTablesRealGaps() {
        let findings = plan.check()
        #expect(findings.filter { $0.severity == .error }.map(\.message) == [])
        let gaps = findings.filter { $0.code == "grading.gap" }.compactMap(\.range).map {
            "\($0.metric.rawValue)\($0.categories.isEmpty ? "" : "[\($0.categories.joined(separator: ","))]") \($0.low) \($0.high.map(String.init) ?? "∞")"
        }
        #expect(gaps == [
            "seriousInjuries 100 ∞",
            "poisoned 1 100",
            "directLoss 1 1000000",
            "directLoss[special-equipment] 1 10000",
            "relocated[pressure-leak] 1 500",
        ])
        #expect(findings.contains { $0.code == "grading.counting-mismatch" && $0.message.contains("较大：只计死亡") })
    }
}

/// Lhasa 4.1 for 较大 and above; the regulation's chain for 一般.
@Suite struct LhasaObligationTests {
    let plan: Plan
    init() throws { plan = try TestPlans.load("lhasa") }

    @Test func grade3CityPhonesAtOnceWritesIn50MinutesAndReachesTheRegionIn2Hours() {
        let due = plan.schedule(grade: 3)
        #expect(due["unit-to-local"]?.dueAt == TestPlans.minutes(60))
        #expect(due["lhasa-county-to-city"]?.dueAt == TestPlans.minutes(60))
        #expect(due["lhasa-city-phone"]?.dueAt == TestPlans.minutes(60))
        #expect(due["lhasa-city-phone"]?.rule.channel == .phone)
        #expect(due["lhasa-city-written"]?.dueAt == TestPlans.minutes(110))
        #expect(due["lhasa-city-to-region"]?.dueAt == TestPlans.minutes(180))
        #expect(due["escalate-prefecture"] == nil)
        #expect(due["escalate-province"] == nil)
        #expect(due["escalate-national"] == nil)
    }

    @Test func grade2ContinuesToTheStateCouncilFromTheRegion() {
        let due = plan.schedule(grade: 2)
        #expect(due["escalate-national"]?.dueAt == TestPlans.minutes(300))
    }

    @Test func grade4FollowsTheRegulation() {
        let due = plan.schedule(grade: 4)
        #expect(due["lhasa-city-phone"] == nil)
        #expect(due["escalate-prefecture"]?.dueAt == TestPlans.minutes(180))
        #expect(due["escalate-prefecture"]?.rule.to == "市生产安全事故应急指挥部办公室（市应急管理局）")
        #expect(due["escalate-province"] == nil)
    }

    @Test func levelsTwoAndOneAreDecidedByTheGeneralHQOnProposal() throws {
        let level2 = try #require(plan.response.authority(for: ResponseLevel(2)!))
        #expect(plan.view(level2).proposedBy == ["市生产安全事故应急指挥部"])
        #expect(plan.view(level2).decides == ["市应急总指挥部"])
        #expect(plan.view(level2).signs == ["市应急总指挥部常务副总指挥长"])
        let level4 = try #require(plan.response.authority(for: ResponseLevel(4)!))
        #expect(plan.view(level4).signs == ["市生产安全事故应急指挥部副指挥长"])
        #expect(plan.response.scope(for: Grade(1)!)?.handoverTo == "自治区应急总指挥部")
    }

    @Test func warningApprovalAndChecklistsByColour() throws {
        #expect(plan.warnings.approval(for: 4)?.approvedBy == ["hq"])
        #expect(plan.warnings.approval(for: 2)?.approvedBy == ["general-hq"])
        #expect(plan.warnings.approval(for: 2)?.proposedBy == ["hq"])
        #expect(plan.warnings.actions(for: 4)?.items.count == 2)
        #expect(plan.warnings.actions(for: 3)?.items.count == 7)
        #expect(plan.warnings.actions(for: 1)?.items.count == 7)
    }

    @Test func twelveWorkingGroups() {
        let groups = plan.command.onSite.groups
        #expect(groups.count == 12)
        #expect(plan.command.onSite.group("professional")?.lead == "市消防救援支队")
        #expect(plan.command.onSite.group("investigation")?.name == "事故调查组")
        #expect(plan.command.onSite.formedAtLevels.map(\.number) == [1, 2, 3])
        #expect(plan.termination.conditions.count == 2)
    }
}
