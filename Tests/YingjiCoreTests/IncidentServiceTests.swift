import Foundation
import Testing
@testable import YingjiCore

/// Binds each seed jurisdiction to the plan of the same id.
struct SeedCatalog: PlanCatalog {
    let plans: [String: Plan]

    init() throws {
        plans = try Dictionary(uniqueKeysWithValues: ["kunyu", "bachu", "lhasa"].map { ($0, try Fixture.plan($0)) })
    }

    func plan(forJurisdiction jurisdiction: String) -> Plan? { plans[jurisdiction] }
}

/// A clock the test moves by hand.
final class ManualClock: WallClock, @unchecked Sendable {
    private var current: Date
    private let lock = NSLock()
    init(_ start: Date) { current = start }
    func now() -> Date { lock.withLock { current } }
    func set(_ date: Date) { lock.withLock { current = date } }
}

@Suite struct IncidentServiceTests {
    let clock = ManualClock(Fixture.t0)
    let repository: any IncidentRepository = InMemoryIncidentRepository()
    let service: IncidentService

    init() throws {
        service = IncidentService(repository: repository, plans: try SeedCatalog(), clock: clock, ids: CountingIDs(), hasher: TestHasher())
    }

    @Test func reportAndFollowUpAreStoredWithAVerifiedChain() async throws {
        let opened = try await service.report(jurisdiction: "kunyu", Fixture.kunyuReport([.deaths: 3]), actor: "值班员张三")
        #expect(opened.version == 1)
        clock.set(Fixture.at(20))
        let changed = try await service.addReport(opened.id, ReportDraft(kind: .followUp, figures: [.deaths: 11]), expectedVersion: 1, actor: "值班员张三")
        #expect(changed.version == 2)
        #expect(changed.grade?.grade == 2)
        let stored = try #require(try await repository.incident(id: opened.id))
        #expect(stored == changed)
        let timeline = try await repository.timeline(incidentID: opened.id)
        #expect(timeline.first?.kind == "incident.reported")
        #expect(timeline.contains { $0.kind == "grade.changed" && $0.at == Fixture.at(20) && $0.actor == "值班员张三" })
        #expect(Timeline.verify(timeline, hasher: TestHasher()) == nil)
    }

    @Test func aStaleVersionIsRefusedAndNothingIsStored() async throws {
        let opened = try await service.report(jurisdiction: "kunyu", Fixture.kunyuReport([.deaths: 3]), actor: "a")
        _ = try await service.apply(opened.id, .verify(note: nil), expectedVersion: 1, actor: "a")
        let before = try await repository.timeline(incidentID: opened.id).count
        await #expect(throws: IncidentError.staleVersion(expected: 1, actual: 2)) {
            _ = try await service.apply(opened.id, .closeWithoutResponse(reason: "x"), expectedVersion: 1, actor: "b")
        }
        #expect(try await repository.incident(id: opened.id)?.status == .verified)
        #expect(try await repository.timeline(incidentID: opened.id).count == before)
    }

    @Test func aVersionSeenBeforeOnlyTheSweepWroteIsNotStale() async throws {
        let opened = try await service.report(jurisdiction: "kunyu", Fixture.kunyuReport([.deaths: 3]), actor: "值班员")
        _ = try await service.apply(opened.id, .verify(note: nil), expectedVersion: 1, actor: "值班员")
        clock.set(Fixture.at(60))
        #expect(try await service.sweepOverdue().map(\.id) == [opened.id])
        let swept = try await service.incident(opened.id)
        #expect(swept.version == 3)
        #expect(swept.sweptSince == 2)
        // From before the person's last change (the verification), a version is stale as ever.
        await #expect(throws: IncidentError.staleVersion(expected: 1, actual: 3)) {
            _ = try await service.apply(opened.id, .closeWithoutResponse(reason: "x"), expectedVersion: 1, actor: "b")
        }
        // A form opened at version 2, before the sweep marked the 1-hour report overdue, goes ahead.
        let overdue = try #require(swept.obligations.first { $0.status == .overdue })
        clock.set(Fixture.at(75))
        let fulfilled = try await service.fulfil(opened.id, obligation: overdue.id, channel: .phone, reference: "电话记录 001",
                                                 expectedVersion: 2, actor: "值班员")
        #expect(fulfilled.version == 4)
        #expect(fulfilled.sweptSince == nil)
        #expect(fulfilled.obligations.first { $0.id == overdue.id }?.fulfilment?.late == true)
        #expect(try await repository.incident(id: opened.id) == fulfilled)
        // After a person's change, any earlier version is stale again, the sweep's too.
        await #expect(throws: IncidentError.staleVersion(expected: 3, actual: 4)) {
            _ = try await service.apply(opened.id, .closeWithoutResponse(reason: "x"), expectedVersion: 3, actor: "b")
        }
        await #expect(throws: IncidentError.staleVersion(expected: 2, actual: 4)) {
            _ = try await service.apply(opened.id, .closeWithoutResponse(reason: "x"), expectedVersion: 2, actor: "b")
        }
        #expect(try await service.incident(opened.id).status == .verified)
        #expect(Timeline.verify(try await repository.timeline(incidentID: opened.id), hasher: TestHasher()) == nil)
    }

    @Test func refusedMovesStoreNothing() async throws {
        let opened = try await service.report(jurisdiction: "lhasa", lhasaReport(), actor: "a")
        _ = try await service.apply(opened.id, .verify(note: nil), expectedVersion: nil, actor: "a")
        let before = try await repository.incident(id: opened.id)
        await #expect(throws: IncidentError.self) {
            // Lhasa level 3 is signed by the 指挥长, not the 副指挥长 (4.3.2).
            _ = try await service.apply(opened.id, .startResponse(level: 3, decidedBy: "hq", signedBy: "deputy-commander", precondition: nil), expectedVersion: nil, actor: "a")
        }
        #expect(try await repository.incident(id: opened.id) == before)
    }

    @Test func anIncidentWithoutItsPlanDoesNotStopTheSweep() async throws {
        let plan = try Fixture.plan("kunyu")
        let (orphan, _) = try Incident.open(id: "inc-orphan", plan: plan, jurisdiction: "disbanded", report: Fixture.kunyuReport([.deaths: 1]),
                                            knownAt: Fixture.t0, actor: "a", now: Fixture.t0, ids: CountingIDs())
        try await repository.insert(orphan, timeline: [])
        let kunyu = try await service.report(jurisdiction: "kunyu", Fixture.kunyuReport([.deaths: 1]), actor: "a")
        clock.set(Fixture.at(60))
        let failures = FailureLog()
        let changed = try await service.sweepOverdue { id, _ in failures.add(id) }
        #expect(changed.map(\.id) == [kunyu.id])
        #expect(failures.ids == ["inc-orphan"])
    }

    /// The sweep lists its candidates by id and version and reads each whole in turn; marking one
    /// takes it out of the candidates, and every one is still reached in one sweep.
    @Test func oneSweepReachesEveryCandidate() async throws {
        var opened: [String] = []
        for _ in 1...7 {
            opened.append(try await service.report(jurisdiction: "kunyu", Fixture.kunyuReport([.deaths: 1]), actor: "a").id)
        }
        clock.set(Fixture.at(60))
        let changed = try await service.sweepOverdue()
        #expect(changed.map(\.id) == opened.reversed())
        #expect(changed.allSatisfy { $0.newlyOverdue.map(\.ruleID) == ["unit-to-local"] })
        #expect(try await service.sweepOverdue().isEmpty)
        for id in opened {
            #expect(try await service.incident(id).obligations.first { $0.ruleID == "unit-to-local" }?.status == .overdue)
        }
    }

    @Test func versionsFollowTheQueryAndIDsNarrowIt() async throws {
        var kunyu: [String] = []
        for index in 1...3 {
            kunyu.append(try await service.report(jurisdiction: "kunyu", Fixture.kunyuReport([.deaths: 1]), actor: "a").id)
            if index == 2 {
                let (other, _) = try Incident.open(id: "inc-other", plan: try Fixture.plan("kunyu"), jurisdiction: "elsewhere", report: Fixture.kunyuReport([.deaths: 1]),
                                                   knownAt: Fixture.t0, actor: "a", now: Fixture.t0, ids: CountingIDs())
                try await repository.insert(other, timeline: [])
            }
        }
        _ = try await service.addReport(kunyu[1], ReportDraft(kind: .followUp, figures: [.deaths: 2]), expectedVersion: 1, actor: "a")
        #expect(try await repository.versions(IncidentQuery(jurisdictions: ["kunyu"])) == [
            IncidentVersion(id: kunyu[2], version: 1), IncidentVersion(id: kunyu[1], version: 2), IncidentVersion(id: kunyu[0], version: 1),
        ])
        #expect(try await repository.incidents(IncidentQuery(ids: [kunyu[0], "inc-other", "inc-none"])).map(\.id) == ["inc-other", kunyu[0]])
        #expect(try await repository.versions(IncidentQuery(jurisdictions: ["kunyu"], ids: ["inc-other"])).isEmpty)
    }

    @Test func sweepMarksOverdueAtTheRightMinuteForEachPlan() async throws {
        let kunyu = try await service.report(jurisdiction: "kunyu", Fixture.kunyuReport([.deaths: 3]), actor: "a")
        let lhasa = try await service.report(jurisdiction: "lhasa", lhasaReport(), actor: "a")
        // Lhasa 较大: 立即 reports are due as soon as the county has it (60 min after becoming known).
        clock.set(Fixture.at(59))
        #expect(try await service.sweepOverdue().isEmpty)
        clock.set(Fixture.at(60))
        let changed = try await service.sweepOverdue()
        #expect(Set(changed.map(\.id)) == [kunyu.id, lhasa.id])
        let lhasaNow = try await service.incident(lhasa.id)
        #expect(lhasaNow.obligations.filter { $0.status == .overdue }.map(\.ruleID).sorted() == ["lhasa-city-phone", "lhasa-county-to-city", "unit-to-local"])
        #expect(lhasaNow.obligations.first { $0.ruleID == "lhasa-city-written" }?.status == .pending)
        clock.set(Fixture.at(110))
        _ = try await service.sweepOverdue()
        #expect(try await service.incident(lhasa.id).obligations.first { $0.ruleID == "lhasa-city-written" }?.status == .overdue)
        let timeline = try await repository.timeline(incidentID: lhasa.id)
        #expect(timeline.filter { $0.kind == "obligation.overdue" }.count == 4)
        #expect(Timeline.verify(timeline, hasher: TestHasher()) == nil)
    }

    @Test func unknownJurisdictionIsNamed() async throws {
        await #expect(throws: IncidentError(.invalid, "jurisdiction.unknown", "未知辖区「shanghai」", field: "jurisdiction")) {
            _ = try await service.report(jurisdiction: "shanghai", Fixture.kunyuReport([:]), actor: "a")
        }
    }

    func lhasaReport() -> ReportDraft {
        ReportDraft(
            kind: .initial,
            fields: ["unit": "某矿业公司", "place": "墨竹工卡县", "industry": "非煤矿山", "enterpriseSize": "大型", "course": "尾矿库坝体局部垮塌",
                     "preliminaryCause": "待查", "rescueStatus": "搜救中", "measures": "下游群众转移", "helpNeeded": "专业救援队伍",
                     "reportingUnit": "墨竹工卡县应急管理局", "signer": "县应急管理局局长", "contact": "0891-0000000", "reportedAt": "2026-03-01 02:05"],
            figures: [.deaths: 4, .missing: 0, .seriousInjuries: 0, .directLoss: 0],
            category: "非煤矿山",
            occurredAt: Fixture.at(-20)
        )
    }
}

final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func add(_ id: String) { lock.withLock { stored.append(id) } }
    var ids: [String] { lock.withLock { stored } }
}
