import Foundation
import Testing
@testable import YingjiCore

/// The stored incident is written field by field (`Incident+Row.swift`); these hold those bytes
/// equal to what the incident's Codable form gives, for incidents with every part filled in.
struct IncidentRowTests {
    let ids = CountingIDs()

    /// Both forms, as stored and as the API shows them, written directly and through Codable.
    func expectSameAsCodable(_ incident: Incident, _ comment: Comment) throws {
        let direct = try JSONBytesEncoder.encodeDated(incident)
        let codable = try JSONBytesEncoder.encodeDatedThroughCodable(incident)
        #expect(String(decoding: direct.bytes, as: UTF8.self) == String(decoding: codable.bytes, as: UTF8.self), comment)
        #expect(direct.bytes == (try JSONBytesEncoder.encode(incident)), comment)
        #expect(String(decoding: direct.withTimestamps(), as: UTF8.self) == String(decoding: try JSONBytesEncoder.encode(incident, dates: .timestamp), as: UTF8.self), comment)
        #expect(try JSONDecoder().decode(Incident.self, from: Data(direct.bytes)) == incident, comment)
    }

    @Test func aNewIncidentIsWrittenAsItsCodableFormIsForEveryPlan() throws {
        let (kunyu, _, _) = try Fixture.openKunyu([.deaths: 3, .seriousInjuries: 12, .directLoss: 12_000_000])
        try expectSameAsCodable(kunyu, "昆玉初报")
        for planID in ["lhasa", "kunyu"] {
            let plan = try Fixture.plan(planID)
            var fields: [String: String] = [:]
            for field in plan.reporting.initialReportFields where Metric(rawValue: field.id) == nil && !["occurredAt", "category"].contains(field.id) {
                fields[field.id] = "\(field.name)：\"引号\"\\反斜杠\n换行\u{01}\t"
            }
            let draft = ReportDraft(kind: .initial, fields: fields, figures: [.deaths: 0, .missing: 2, .seriousInjuries: 0, .directLoss: 0],
                                    category: "fire", occurredAt: Fixture.at(-10))
            var (incident, _) = try Incident.open(id: "inc-\(planID)", plan: plan, jurisdiction: planID, report: draft, knownAt: Fixture.t0,
                                                  actor: "值班员", now: Fixture.t0, ids: ids,
                                                  parties: IncidentParties(organisationID: "org-1", involved: ["org-2"]))
            #expect(incident.organisationID == "org-1" && incident.involvedOrganisations == ["org-1", "org-2"])
            try expectSameAsCodable(incident, "\(planID)：有单位、字段须转义")
            incident.category = nil
            incident.occurredAt = nil
            try expectSameAsCodable(incident, "\(planID)：无类别、无发生时间")
        }
    }

    @Test func anIncidentThroughItsLifeIsWrittenAsItsCodableFormIs() throws {
        let plan = try Fixture.plan("kunyu")
        var (incident, _, _) = try Fixture.openKunyu([.deaths: 1])
        _ = try incident.apply(.verify(note: "电话回拨核实"), plan: plan, actor: "值班员", now: Fixture.at(2), ids: ids)
        _ = try incident.apply(.startResponse(level: 3, decidedBy: "commander", signedBy: "commander", precondition: "已请示"), plan: plan,
                               actor: "指挥长", now: Fixture.at(4).addingTimeInterval(0.25), ids: ids)
        #expect(incident.commandPost != nil && incident.response != nil)
        try expectSameAsCodable(incident, "响应中，现场指挥部已成立")

        _ = try incident.applyCommand(.createTask(title: "搜救\"被困\"人员", groupID: nil, assignee: .init(kind: .person, id: "王五", name: "王五"),
                                                  dueAt: Fixture.at(60), acknowledgeWithinMinutes: 5), actor: "总指挥", now: Fixture.at(5), ids: ids)
        let pending = try #require(incident.obligations.first { $0.status == .pending })
        _ = try incident.fulfil(pending.id, by: "值班员", channel: .phone, reference: "电话记录 0042", now: Fixture.at(6))
        // A follow-up that re-grades: obligations of the old grade are retired with a reason.
        var followUp = Fixture.kunyuReport([.deaths: 12])
        followUp.kind = .followUp
        _ = try incident.add(followUp, plan: plan, actor: "值班员", now: Fixture.at(30), ids: ids)
        #expect(incident.obligations.contains { $0.status == .notApplicable && $0.retiredReason != nil })
        #expect(incident.obligations.contains { $0.fulfilment != nil })
        _ = incident.markOverdue(now: Fixture.at(600))
        #expect(incident.obligations.contains { $0.status == .overdue })
        _ = try incident.apply(.handOverCommand(to: "市指挥部", handedOverBy: "县指挥长", receivedBy: "市指挥长"), plan: plan,
                               actor: "指挥长", now: Fixture.at(601), ids: ids)
        _ = try incident.apply(.suspendRescue(reason: "二次爆炸风险"), plan: plan, actor: "指挥长", now: Fixture.at(602), ids: ids)
        #expect(incident.commandHolder != nil && incident.suspension != nil)
        try expectSameAsCodable(incident, "续报升级、履行、逾期、移交、暂停")

        _ = try incident.apply(.resumeRescue(note: nil), plan: plan, actor: "指挥长", now: Fixture.at(603), ids: ids)
        let condition = try #require(plan.termination.conditions.first)
        _ = try incident.apply(.confirmCondition(id: condition.id), plan: plan, actor: "指挥长", now: Fixture.at(604), ids: ids)
        #expect(!incident.confirmedConditions.isEmpty)
        if let units = incident.leadDepartment?.suggestions.first?.units {
            _ = try incident.confirmLeadDepartment(units: units, reason: nil, actor: "值班员", now: Fixture.at(605))
        }
        try expectSameAsCodable(incident, "终止条件已确认、牵头部门")
        // Read back from its row (dictionaries rebuilt, in an order of their own): the same again.
        let decoded = try JSONDecoder().decode(Incident.self, from: Data(try JSONBytesEncoder.encodeDated(incident).bytes))
        try expectSameAsCodable(decoded, "读回的事故")
    }

    @Test func everyOptionalPartSetOrEmptyIsWrittenAsItsCodableFormIs() throws {
        var (incident, _, _) = try Fixture.openKunyu([.deaths: 3])
        incident.involvedOrganisations = []
        incident.organisationID = "企业\u{7F}\u{200B}"
        incident.sweptSince = 0
        incident.suspension = ""
        incident.grade = GradeRecord(grade: nil, criteria: [], planVersion: "v\"1", decidedAt: Date(timeIntervalSinceReferenceDate: -1.5))
        incident.figures = AccidentFigures([:])
        incident.obligations[0].startsAt = nil
        incident.obligations[0].dueAt = nil
        incident.obligations[0].fulfilment = Fulfilment(by: "甲", at: Date(timeIntervalSinceReferenceDate: 1e9 + 0.001), channel: .written,
                                                        reference: "", late: true)
        try expectSameAsCodable(incident, "各可选项的边界")
        incident.obligations = []
        incident.reports = []
        incident.occurredAt = nil
        try expectSameAsCodable(incident, "空列表")
    }
}
