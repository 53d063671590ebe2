import Foundation
import Testing
@testable import YingjiCore

@Suite struct IncidentReportTests {
    @Test func initialReportGradesAndStartsEveryClock() throws {
        let (incident, events, plan) = try Fixture.openKunyu([.deaths: 3, .directLoss: 12_000_000])
        #expect(incident.status == .reported)
        #expect(incident.grade?.grade == 3)
        #expect(incident.grade?.criteria.map(\.source) == ["附件1", "附件1"])
        #expect(incident.grade?.planVersion == plan.version)
        #expect(incident.planVersion.hasPrefix("kunyu@"))
        #expect(incident.obligation("unit-to-local")?.dueAt == Fixture.at(60))
        #expect(incident.obligation("escalate-province")?.dueAt == Fixture.at(180))
        // 5.7 counts from occurrence: 10 minutes before it became known.
        #expect(incident.obligation("kunyu-authoritative-release")?.dueAt == Fixture.at(290))
        #expect(incident.obligation("kunyu-archive-owner")?.dueAt == nil)
        #expect(incident.obligations.allSatisfy { $0.status == .pending })
        #expect(incident.nextDeadline == Fixture.at(60))
        #expect(events.map(\.kind).prefix(2) == ["incident.reported", "grade.decided"])
        #expect(events.filter { $0.kind == "obligation.added" }.count == incident.obligations.count)
    }

    @Test func missingFieldsAreNamedInTheFormsOrder() throws {
        let plan = try Fixture.plan("kunyu")
        var draft = Fixture.kunyuReport([:])
        draft.fields["unit"] = nil
        draft.fields["trend"] = "  "
        draft.figures[.missing] = nil
        let problems = plan.problems(in: draft, now: Fixture.t0)
        #expect(problems.map(\.field) == ["unit", "missing", "trend"])
        #expect(problems.first?.message == "缺少「事故发生单位」（5.1.2）")
        #expect(throws: problems[0]) {
            _ = try Incident.open(id: "x", plan: plan, jurisdiction: "kunyu", report: draft, knownAt: Fixture.t0, actor: "a", now: Fixture.t0, ids: CountingIDs())
        }
    }

    @Test func badValuesAreRefusedByField() throws {
        let plan = try Fixture.plan("kunyu")
        var draft = Fixture.kunyuReport([.deaths: -1])
        draft.fields["colour"] = "红"
        draft.category = "海啸"
        draft.occurredAt = Fixture.at(30)
        let codes = plan.problems(in: draft, now: Fixture.t0).map { "\($0.field ?? ""):\($0.code)" }
        #expect(codes == ["colour:report.unknown_field", "deaths:report.negative", "category:report.unknown_category", "occurredAt:report.future_time"])
        // Within the allowed clock skew a time slightly ahead is accepted.
        var skewed = Fixture.kunyuReport([:])
        skewed.occurredAt = Fixture.at(4)
        #expect(plan.problems(in: skewed, now: Fixture.t0).isEmpty)
    }

    @Test func regradeUpAddsAndRetiresObligations() throws {
        var (incident, _, plan) = try Fixture.openKunyu([.deaths: 3])
        let events = try incident.add(ReportDraft(kind: .followUp, fields: ["developments": "又发现9名遇难者"], figures: [.deaths: 12]),
                                      plan: plan, actor: "值班员张三", now: Fixture.at(40), ids: CountingIDs())
        #expect(incident.grade?.grade == 2)
        #expect(incident.figures[.deaths] == 12)
        #expect(incident.figures[.directLoss] == 0)
        #expect(incident.reports.map(\.kind) == [.initial, .followUp])
        #expect(incident.obligation("kunyu-bingtuan-30min")?.dueAt == Fixture.at(20))
        #expect(incident.obligation("kunyu-bingtuan-30min")?.status == .pending)
        #expect(incident.obligation("escalate-national")?.dueAt == Fixture.at(140))
        // Kept, never deleted: the 较大/一般 release rule and the 2-hour hop no longer apply.
        #expect(incident.obligation("kunyu-authoritative-release")?.status == .notApplicable)
        #expect(incident.obligation("escalate-province")?.status == .notApplicable)
        #expect(incident.obligation("escalate-province")?.retiredReason == "按当前情况（重大）不再适用")
        #expect(events.map(\.kind).contains("grade.changed"))
        #expect(events.filter { $0.kind == "obligation.retired" }.count == 3)

        // Down again: the retired rows come back rather than being duplicated.
        _ = try incident.add(ReportDraft(kind: .followUp, figures: [.deaths: 4]), plan: plan, actor: "a", now: Fixture.at(50), ids: CountingIDs())
        #expect(incident.obligation("kunyu-authoritative-release")?.status == .pending)
        #expect(incident.obligations.filter { $0.ruleID == "kunyu-authoritative-release" }.count == 1)
        #expect(incident.obligation("kunyu-bingtuan-30min")?.status == .notApplicable)
    }

    @Test func followUpCannotBeAnotherInitialReport() throws {
        var (incident, _, plan) = try Fixture.openKunyu([.deaths: 1])
        let before = incident
        #expect(throws: IncidentError.self) {
            _ = try incident.add(Fixture.kunyuReport([.deaths: 2]), plan: plan, actor: "a", now: Fixture.at(5), ids: CountingIDs())
        }
        #expect(incident == before)
    }
}

@Suite struct ObligationClockTests {
    @Test func overdueAtTheExactMinute() throws {
        var (incident, _, _) = try Fixture.openKunyu([.deaths: 1])
        #expect(incident.markOverdue(now: Fixture.at(60).addingTimeInterval(-1)).isEmpty)
        let events = incident.markOverdue(now: Fixture.at(60))
        #expect(events.map(\.kind) == ["obligation.overdue"])
        #expect(incident.obligation("unit-to-local")?.status == .overdue)
        #expect(incident.markOverdue(now: Fixture.at(61)).isEmpty)
    }

    @Test func lateReportWindowClosesInsteadOfGoingOverdue() throws {
        var (incident, _, _) = try Fixture.openKunyu([.deaths: 1])
        let window = try #require(incident.obligation("late-casualty-report-road-fire"))
        #expect(window.dueAt == Fixture.at(-10 + 7 * 1440))
        _ = incident.markOverdue(now: Fixture.at(8 * 1440))
        #expect(incident.obligation("late-casualty-report-road-fire")?.status == .notApplicable)
        #expect(incident.obligation("late-casualty-report-road-fire")?.retiredReason == "补报期限已过")
    }

    @Test func dueSoonListsPendingDeadlinesWithinTheLeadButNotLateReportWindows() throws {
        var (incident, _, _) = try Fixture.openKunyu([.deaths: 1])
        // unit-to-local falls due at minute 60; the 补报 window (7 days) is never a reminder.
        #expect(incident.obligationsDueSoon(now: Fixture.at(44), lead: 900).isEmpty)
        #expect(incident.obligationsDueSoon(now: Fixture.at(45), lead: 900).map(\.ruleID) == ["unit-to-local"])
        #expect(incident.obligationsDueSoon(now: Fixture.at(59), lead: 900).map(\.ruleID) == ["unit-to-local"])
        #expect(incident.obligationsDueSoon(now: Fixture.at(45), lead: 0).isEmpty)
        #expect(incident.obligationsDueSoon(now: Fixture.at(-10 + 7 * 1440 - 5), lead: 900).isEmpty)
        // At its deadline it is overdue, not due soon; fulfilled, it is no longer announced.
        #expect(incident.obligationsDueSoon(now: Fixture.at(60), lead: 900).isEmpty)
        let id = try #require(incident.obligation("unit-to-local")?.id)
        _ = try incident.fulfil(id, by: "值班员张三", channel: .phone, reference: "电话记录 1", now: Fixture.at(46))
        #expect(incident.obligationsDueSoon(now: Fixture.at(47), lead: 900).isEmpty)
    }

    @Test func fulfilmentRecordsWhoWhenHowAndReference() throws {
        var (incident, _, _) = try Fixture.openKunyu([.deaths: 1])
        let id = try #require(incident.obligation("unit-to-local")?.id)
        _ = try incident.fulfil(id, by: "值班员张三", channel: .phone, reference: "电话记录 2026-0301-07", now: Fixture.at(25))
        let row = try #require(incident.obligation("unit-to-local"))
        #expect(row.status == .fulfilled)
        #expect(row.fulfilment == Fulfilment(by: "值班员张三", at: Fixture.at(25), channel: .phone, reference: "电话记录 2026-0301-07", late: false))
        #expect(throws: IncidentError.self) { _ = try incident.fulfil(id, by: "a", channel: .phone, reference: "x", now: Fixture.at(26)) }
    }

    @Test func fulfilmentIsCheckedByField() throws {
        var (incident, _, _) = try Fixture.openKunyu([.deaths: 3])
        let release = try #require(incident.obligation("kunyu-authoritative-release")?.id)
        do {
            _ = try incident.fulfil(release, by: "a", channel: .phone, reference: "x", now: Fixture.at(5))
            Issue.record("a phone call is not an authoritative release")
        } catch let error as IncidentError {
            #expect(error.field == "channel")
        }
        do {
            _ = try incident.fulfil(release, by: "a", channel: .publicRelease, reference: "  ", now: Fixture.at(5))
            Issue.record("a release needs a reference")
        } catch let error as IncidentError {
            #expect(error.field == "reference")
        }
        do {
            _ = try incident.fulfil("obl-999", by: "a", channel: .phone, reference: "x", now: Fixture.at(5))
            Issue.record("unknown obligation")
        } catch let error as IncidentError {
            #expect(error.kind == .notFound)
        }
        let late = try #require(incident.obligation("unit-to-local")?.id)
        _ = try incident.fulfil(late, by: "a", channel: .written, reference: "昆应急〔2026〕7号", now: Fixture.at(75))
        #expect(incident.obligation("unit-to-local")?.fulfilment?.late == true)
    }
}
