import Foundation
import Testing
@testable import YingjiCore

@Suite struct IncidentLifecycleTests {
    let ids = CountingIDs()

    func move(_ incident: inout Incident, _ command: LifecycleCommand, _ plan: Plan, actor: String = "值班员", at minute: Int = 30) throws -> [TimelineEvent] {
        try incident.apply(command, plan: plan, actor: actor, now: Fixture.at(minute), ids: ids)
    }

    @Test func theWholeLifeOfAKunyuGrade3Accident() throws {
        var (incident, _, plan) = try Fixture.openKunyu([.deaths: 3])
        #expect(incident.allowedMoves == ["verify"])
        _ = try move(&incident, .verify(note: "电话回拨核实"), plan)
        #expect(incident.allowedMoves == ["closeWithoutResponse", "startResponse"])
        let started = try move(&incident, .startResponse(level: 3, decidedBy: "commander", signedBy: "commander", precondition: nil), plan, at: 40)
        #expect(incident.status == .responding)
        #expect(incident.response == ResponseRecord(level: 3, decidedBy: "commander", signedBy: "commander", startedAt: Fixture.at(40), precondition: nil))
        // The archive-owner clock (6.3) starts with the response.
        #expect(incident.obligation("kunyu-archive-owner")?.dueAt == Fixture.at(40))
        #expect(started.map(\.kind) == ["response.started", "command.established", "obligation.rescheduled"])

        _ = try move(&incident, .suspendRescue(reason: "二次爆炸风险，撤离救援人员"), plan, at: 50)
        #expect(incident.status == .suspended)
        #expect(incident.suspension == "二次爆炸风险，撤离救援人员")
        _ = try move(&incident, .resumeRescue(note: nil), plan, at: 70)
        _ = try move(&incident, .changeLevel(level: 2, reason: "死亡人数可能上升", signedBy: "principal"), plan, at: 80)
        #expect(incident.response?.level == 2)
        _ = try move(&incident, .handOverCommand(to: "兵团专项指挥机构", handedOverBy: "师市专项指挥部指挥长", receivedBy: "兵团工作组组长"), plan, at: 90)
        #expect(incident.commandHolder == "兵团专项指挥机构")

        for condition in plan.termination.conditions {
            _ = try move(&incident, .confirmCondition(id: condition.id), plan, actor: "现场指挥部", at: 300)
        }
        #expect(incident.confirmedConditions.map(\.conditionID) == ["all-rescued", "scene-controlled", "environment-ok", "secondary-removed"])
        _ = try move(&incident, .endOnSiteWork, plan, at: 310)
        _ = try move(&incident, .endResponse(endedBy: "commander"), plan, at: 320)
        _ = try move(&incident, .beginAftermath, plan, at: 330)
        _ = try move(&incident, .recordEvaluation(summary: "总结报告已上报专项指挥部"), plan, at: 400)
        _ = try move(&incident, .archive, plan, at: 500)
        #expect(incident.status == .archived)
        #expect(incident.allowedMoves.isEmpty)
    }

    @Test func illegalMovesAreTypedAndChangeNothing() throws {
        var (incident, _, plan) = try Fixture.openKunyu([.deaths: 3])
        let before = incident
        let illegal: [LifecycleCommand] = [
            .startResponse(level: 3, decidedBy: "commander", signedBy: "commander", precondition: nil),
            .endOnSiteWork, .endResponse(endedBy: "commander"), .archive, .suspendRescue(reason: "x"), .beginAftermath,
        ]
        for command in illegal {
            do {
                _ = try move(&incident, command, plan)
                Issue.record("\(command.name) should be refused from 已接报")
            } catch let error as IncidentError {
                #expect(error.kind == .conflict)
                #expect(error.code == "lifecycle.illegal_move")
                #expect(error.message.hasPrefix("事故处于「已接报」状态"))
            }
        }
        #expect(incident == before)
    }

    @Test func onlyThePlansAuthorityMayStartALevel() throws {
        var (incident, _, plan) = try Fixture.openKunyu([.deaths: 3])
        _ = try move(&incident, .verify(note: nil), plan)
        let before = incident
        do {
            _ = try move(&incident, .startResponse(level: 3, decidedBy: "deputy-commander", signedBy: "deputy-commander", precondition: nil), plan)
            Issue.record("a deputy may not start level 3 in Kunyu")
        } catch let error as IncidentError {
            #expect(error.kind == .forbidden)
            #expect(error.field == "decidedBy")
            #expect(error.message == "三级响应须由师市专项指挥部指挥长决定启动（5.3.2）")
        }
        #expect(incident == before)
    }

    @Test func bachuLevel3NeedsTheConsultationRecorded() throws {
        let plan = try Fixture.plan("bachu")
        let draft = ReportDraft(kind: .initial, fields: ["place": "三岔口镇", "course": "矿井透水", "scope": "井下", "rescueStatus": "救援中", "measures": "排水"],
                                figures: [.deaths: 4, .missing: 0, .seriousInjuries: 0], category: "矿山", occurredAt: Fixture.at(-5))
        var (incident, _) = try Incident.open(id: "b-1", plan: plan, jurisdiction: "bachu", report: draft, knownAt: Fixture.t0, actor: "a", now: Fixture.t0, ids: ids)
        #expect(incident.category == "mining")
        _ = try move(&incident, .verify(note: nil), plan)
        do {
            _ = try move(&incident, .startResponse(level: 3, decidedBy: "commander", signedBy: "commander", precondition: " "), plan)
            Issue.record("level 3 needs 请示地委、行署")
        } catch let error as IncidentError {
            #expect(error.field == "precondition")
            #expect(error.message.contains("请示地委、行署后"))
            #expect(error.message.contains("（4.2）"))
        }
        _ = try move(&incident, .startResponse(level: 3, decidedBy: "commander", signedBy: "commander", precondition: "02:55 电话请示行署值班室，同意"), plan)
        #expect(incident.response?.precondition == "02:55 电话请示行署值班室，同意")
    }

    @Test func whoStartsItEndsIt() throws {
        var (incident, _, plan) = try Fixture.openKunyu([.deaths: 1])
        _ = try move(&incident, .verify(note: nil), plan)
        _ = try move(&incident, .startResponse(level: 4, decidedBy: "deputy-commander", signedBy: "deputy-commander", precondition: nil), plan)
        do {
            _ = try move(&incident, .endOnSiteWork, plan)
            Issue.record("conditions are not confirmed yet")
        } catch let error as IncidentError {
            #expect(error.code == "termination.conditions_open")
            #expect(error.message.contains("遇险人员全部搜救完毕"))
        }
        for condition in plan.termination.conditions { _ = try move(&incident, .confirmCondition(id: condition.id), plan) }
        #expect(throws: IncidentError.self) { _ = try move(&incident, .confirmCondition(id: "all-rescued"), plan) }
        _ = try move(&incident, .endOnSiteWork, plan)
        do {
            _ = try move(&incident, .endResponse(endedBy: "commander"), plan)
            Issue.record("the commander did not start this response")
        } catch let error as IncidentError {
            #expect(error.kind == .forbidden)
            #expect(error.message.contains("谁启动、谁关闭"))
            #expect(error.message.contains("（5.8）"))
        }
        _ = try move(&incident, .endResponse(endedBy: "deputy-commander"), plan)
        #expect(incident.status == .responseEnded)
    }

    @Test func archivedIsReadOnly() throws {
        var (incident, _, plan) = try Fixture.openKunyu([.deaths: 1])
        _ = try move(&incident, .verify(note: nil), plan)
        _ = try move(&incident, .closeWithoutResponse(reason: "团场已处置完毕"), plan)
        #expect(incident.earliestPendingDue != nil)
        _ = try move(&incident, .recordEvaluation(summary: "已总结"), plan)
        // Closed with obligations still pending: nothing left for the sweep to look at.
        #expect(incident.obligations.contains { $0.status == .pending })
        #expect(incident.earliestPendingDue == nil)
        _ = try move(&incident, .archive, plan)
        #expect(incident.earliestPendingDue == nil)
        let archived = incident
        let obligation = try #require(incident.obligations.first?.id)
        #expect(throws: IncidentError.archived) { _ = try move(&incident, .verify(note: nil), plan) }
        #expect(throws: IncidentError.archived) { _ = try incident.add(ReportDraft(kind: .followUp, figures: [.deaths: 2]), plan: plan, actor: "a", now: Fixture.at(99), ids: ids) }
        #expect(throws: IncidentError.archived) { _ = try incident.fulfil(obligation, by: "a", channel: .phone, reference: "x", now: Fixture.at(99)) }
        #expect(incident.markOverdue(now: Fixture.at(10_000)).isEmpty)
        #expect(incident == archived)
    }
}

@Suite struct TimelineChainTests {
    func chain(_ events: [TimelineEvent]) -> [TimelineEntry] {
        var entries: [TimelineEntry] = []
        for (index, event) in events.enumerated() {
            entries.append(.seal(event, incidentID: "inc-1", after: entries.last, at: Fixture.at(index), actor: "值班员", hasher: TestHasher()))
        }
        return entries
    }

    @Test func anIntactChainVerifies() throws {
        let (_, events, _) = try Fixture.openKunyu([.deaths: 3])
        let entries = chain(events)
        #expect(entries.map(\.sequence) == Array(1...events.count))
        #expect(entries[0].previousHash == genesisHash)
        #expect(entries[1].previousHash == entries[0].hash)
        #expect(Timeline.verify(entries, hasher: TestHasher()) == nil)
    }

    @Test func aChangedEntryIsNamed() throws {
        let (_, events, _) = try Fixture.openKunyu([.deaths: 3])
        var entries = chain(events)
        let original = entries[2]
        entries[2] = TimelineEntry(incidentID: original.incidentID, sequence: original.sequence, at: original.at, actor: "别人",
                                   kind: original.kind, payload: original.payload, corrects: nil, previousHash: original.previousHash, hash: original.hash)
        #expect(Timeline.verify(entries, hasher: TestHasher()) == ChainBreak(incidentID: "inc-1", sequence: 3, reason: "内容与哈希不符，本条记录被修改"))
    }

    @Test func aDeletedEntryIsNamed() throws {
        let (_, events, _) = try Fixture.openKunyu([.deaths: 3])
        var entries = chain(events)
        entries.remove(at: 1)
        #expect(Timeline.verify(entries, hasher: TestHasher())?.sequence == 3)
        #expect(Timeline.verify(entries, hasher: TestHasher())?.reason.hasPrefix("序号不连续") == true)
    }

    @Test func aCorrectionPointsAtWhatItCorrects() throws {
        var entries = chain([TimelineEvent("report.initial", ["deaths": 3])])
        entries.append(.seal(TimelineEvent("report.corrected", ["deaths": 2], corrects: 1), incidentID: "inc-1", after: entries.last, at: Fixture.at(9), actor: "值班员", hasher: TestHasher()))
        #expect(entries[1].corrects == 1)
        #expect(Timeline.verify(entries, hasher: TestHasher()) == nil)
    }
}
