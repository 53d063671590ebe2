import Foundation
import Testing
@testable import YingjiCore

/// 预警: approval by the body the plan names for the colour, publication only once approved,
/// the plan's measures for the level, adjustment approved again, lifting by the issuer only.
@Suite struct WarningLifecycleTests {
    let ids = CountingIDs()

    static func content(level: Int, polygon: [WarningArea.Point]? = nil, endsAt: Date? = nil) -> WarningContent {
        WarningContent(level: level, issuer: "市生产安全事故应急指挥部", category: "危险化学品", startsAt: Fixture.t0, endsAt: endsAt,
                       area: WarningArea(description: "经开区化工园及周边 2 公里", polygon: polygon), warnings: "园区周边人员避免进入",
                       developments: "储罐温度持续升高", measures: "停止装卸作业", hotline: "0891-6169012", channels: [],
                       specialAudiences: ["学校"])
    }

    func drafted(_ planID: String, level: Int) throws -> (Warning, Plan) {
        let plan = try Fixture.plan(planID)
        let (warning, events) = try Warning.draft(id: "w-1", plan: plan, jurisdiction: planID, content: Self.content(level: level), incidentID: nil,
                                                  actor: "办公室", now: Fixture.t0)
        #expect(events.map(\.kind) == ["warning.drafted"])
        return (warning, plan)
    }

    @Test func lhasaBlueIsApprovedByItsHQAndYellowAndAboveByTheGeneralHQ() throws {
        var (blue, plan) = try drafted("lhasa", level: 4)
        _ = try blue.apply(.submit, plan: plan, actor: "办公室", now: Fixture.at(1), ids: ids)
        // 3.2(1): blue by the production-safety HQ; the general HQ is not the approver named for blue.
        #expect(throws: IncidentError.self) { try blue.apply(.approve(post: "general-hq"), plan: plan, actor: "总指挥部", now: Fixture.at(2), ids: ids) }
        _ = try blue.apply(.approve(post: "hq"), plan: plan, actor: "市指挥部", now: Fixture.at(2), ids: ids)
        #expect(blue.current?.approvedPost == "hq")
        var (yellow, _) = try drafted("lhasa", level: 3)
        _ = try yellow.apply(.submit, plan: plan, actor: "办公室", now: Fixture.at(1), ids: ids)
        do {
            _ = try yellow.apply(.approve(post: "hq"), plan: plan, actor: "市指挥部", now: Fixture.at(2), ids: ids)
            Issue.record("the HQ approved a yellow warning")
        } catch let error as IncidentError {
            #expect(error.kind == .forbidden)
            #expect(error.message == "黄色预警须由\(plan.roleName("general-hq"))审定（3.2(2)）")
        }
        _ = try yellow.apply(.approve(post: "general-hq"), plan: plan, actor: "总指挥部", now: Fixture.at(3), ids: ids)
        #expect(yellow.status == .approved)
    }

    @Test func nothingIsPublishedWithoutApproval() throws {
        var (warning, plan) = try drafted("kunyu", level: 2)
        #expect(throws: IncidentError.self) { try warning.apply(.publish(post: "municipality"), plan: plan, actor: "师市", now: Fixture.at(1), ids: ids) }
        _ = try warning.apply(.submit, plan: plan, actor: "办公室", now: Fixture.at(1), ids: ids)
        #expect(throws: IncidentError.self) { try warning.apply(.publish(post: "municipality"), plan: plan, actor: "师市", now: Fixture.at(2), ids: ids) }
        #expect(warning.inForce == nil)
        _ = try warning.apply(.approve(post: "municipality"), plan: plan, actor: "师市", now: Fixture.at(3), ids: ids)
        let published = try warning.apply(.publish(post: "municipality"), plan: plan, actor: "师市", now: Fixture.at(4), ids: ids)
        #expect(published.map(\.kind) == ["warning.published", "warning.actions_started"])
        // Kunyu 4.2.5: seven measures once a warning is out.
        #expect(warning.actions.map(\.itemID) == ["assess", "standby", "supplies", "cordon", "security", "utilities", "inform"])
        #expect(warning.actions.allSatisfy { $0.source == plan.warnings.actions(for: 2)?.source.clause && $0.status == .pending })
    }

    @Test func lhasaBlueStartsTwoMeasuresAndAnAdjustmentToYellowIsApprovedAgainAndAddsSeven() throws {
        var (warning, plan) = try drafted("lhasa", level: 4)
        for command in [WarningCommand.submit, .approve(post: "hq"), .publish(post: "hq")] {
            _ = try warning.apply(command, plan: plan, actor: "市指挥部", now: Fixture.at(5), ids: ids)
        }
        #expect(warning.actions.map(\.itemID) == ["monitor", "public"])
        #expect(throws: IncidentError.self) { try warning.apply(.adjust(Self.content(level: 3), reason: " "), plan: plan, actor: "办公室", now: Fixture.at(6), ids: ids) }
        _ = try warning.apply(.adjust(Self.content(level: 3), reason: "储罐温度超过临界值"), plan: plan, actor: "办公室", now: Fixture.at(6), ids: ids)
        // The blue warning stays in force until the yellow one is approved and published.
        #expect(warning.status == .draft && warning.inForce?.content.level == 4 && warning.versions.count == 2)
        _ = try warning.apply(.submit, plan: plan, actor: "办公室", now: Fixture.at(7), ids: ids)
        #expect(throws: IncidentError.self) { try warning.apply(.approve(post: "hq"), plan: plan, actor: "市指挥部", now: Fixture.at(8), ids: ids) }
        _ = try warning.apply(.approve(post: "general-hq"), plan: plan, actor: "总指挥部", now: Fixture.at(8), ids: ids)
        // Lhasa 3.2: an adjustment also needs the HQ's 总指挥 (hq-chief): until then it is not approved.
        #expect(warning.status == .submitted && warning.approvers(plan: plan) == ["hq-chief"])
        #expect(throws: IncidentError.self) { try warning.apply(.publish(post: "hq"), plan: plan, actor: "市指挥部", now: Fixture.at(9), ids: ids) }
        _ = try warning.apply(.approve(post: "hq-chief"), plan: plan, actor: "总指挥", now: Fixture.at(9), ids: ids)
        #expect(warning.status == .approved && warning.current?.adjustmentApprovedPost == "hq-chief")
        _ = try warning.apply(.publish(post: "hq"), plan: plan, actor: "市指挥部", now: Fixture.at(9), ids: ids)
        #expect(warning.inForce?.content.level == 3)
        #expect(warning.actions.map(\.itemID) == ["monitor", "public", "standby", "supplies", "security", "utilities", "evacuate", "close-venues", "neighbours"])
    }

    @Test func onlyTheIssuerLiftsIt() throws {
        var (warning, plan) = try drafted("lhasa", level: 3)
        for (command, actor) in [(WarningCommand.submit, "办公室"), (.approve(post: "general-hq"), "总指挥部"), (.publish(post: "hq"), "市指挥部")] {
            _ = try warning.apply(command, plan: plan, actor: actor, now: Fixture.at(5), ids: ids)
        }
        #expect(warning.issuerPost == "hq")
        do {
            _ = try warning.apply(.lift(post: "general-hq", reason: "险情消除"), plan: plan, actor: "总指挥部", now: Fixture.at(60), ids: ids)
            Issue.record("someone other than the issuer lifted it")
        } catch let error as IncidentError {
            #expect(error.kind == .forbidden)
            #expect(error.message.hasPrefix("谁发布、谁解除：本预警由「\(plan.roleName("hq"))」发布，只能由其解除"))
        }
        _ = try warning.apply(.lift(post: "hq", reason: "险情消除"), plan: plan, actor: "市指挥部", now: Fixture.at(61), ids: ids)
        #expect(warning.status == .lifted && warning.liftedAt == Fixture.at(61))
        #expect(throws: IncidentError.self) { try warning.apply(.completeAction(id: warning.actions[0].id), plan: plan, actor: "甲", now: Fixture.at(62), ids: ids) }
    }

    @Test func badContentIsRefusedNamingTheField() throws {
        let plan = try Fixture.plan("kunyu")
        func field(_ content: WarningContent) -> String? {
            do {
                _ = try Warning.draft(id: "w", plan: plan, jurisdiction: "kunyu", content: content, incidentID: nil, actor: "甲", now: Fixture.t0)
                return nil
            } catch let error as IncidentError { return error.field } catch { return "?" }
        }
        #expect(field(Self.content(level: 5)) == "level")
        #expect(field(Self.content(level: 2, endsAt: Fixture.at(-1))) == "endsAt")
        #expect(field(Self.content(level: 2, polygon: [.init(latitude: 29.6, longitude: 91.1), .init(latitude: 95, longitude: 91.2),
                                                       .init(latitude: 29.7, longitude: 91.3)])) == "area.polygon")
        #expect(field(Self.content(level: 2, polygon: [.init(latitude: 29.6, longitude: 91.1)])) == "area.polygon")
        #expect(field(Self.content(level: 2, polygon: [.init(latitude: 29.6, longitude: 91.1), .init(latitude: 29.65, longitude: 91.2),
                                                       .init(latitude: 29.7, longitude: 91.1)])) == nil)
        // Kunyu 4.2.4 lists its channels and special audiences: others are refused by position.
        var content = Self.content(level: 2)
        content.channels = ["短信", "信鸽"]
        #expect(field(content) == "channels[1]")
        content.channels = ["短信", "大喇叭"]
        content.specialAudiences = ["游客"]
        #expect(field(content) == "specialAudiences[0]")
        content.specialAudiences = ["养老院", "警报盲区"]
        #expect(field(content) == nil)
    }

    @Test func capTextRoundTripsAndAUnitWarningNeedsNoApproval() throws {
        let polygon = try #require(WarningArea.parsePolygon("37.21,79.28 37.24,79.28 37.24,79.33 37.21,79.28"))
        #expect(polygon.count == 3)  // the closing point is kept once
        #expect(WarningArea(description: "园区", polygon: polygon).capPolygon == "37.21,79.28 37.24,79.28 37.24,79.33 37.21,79.28")
        #expect(WarningArea.parsePolygon("37.2;79.2") == nil)
        // A ring given closed keeps its points once; three points closed are still three.
        #expect(WarningArea.parsePolygon("1,1 2,2 1,1")?.count == 2)
        // No exponents in CAP: 0.00001 is written out.
        #expect(WarningArea(description: "", polygon: [.init(latitude: 0.00001, longitude: -79.5), .init(latitude: 1, longitude: 2), .init(latitude: 3, longitude: 4)]).capPolygon
                == "0.00001,-79.5 1,2 3,4 0.00001,-79.5")
        #expect(WarningArea.parseCircle("37.2,79.2 5")?.radiusKilometres == 5)
        #expect(WarningArea.parseCircle("37.2,79.2") == nil)
        #expect(Warning.capTime(Fixture.t0).hasSuffix("+08:00"))

        let plan = try Fixture.plan("kunyu")
        var unitContent = Self.content(level: 3)
        unitContent.issuer = "某化工"
        var (warning, _) = try Warning.draft(id: "w-2", plan: plan, jurisdiction: "kunyu", content: unitContent, incidentID: nil,
                                             unit: WarningUnit(organisationID: "chem", name: "某化工"), notified: ["kunyu-224"], actor: "企业", now: Fixture.t0)
        #expect(warning.allowedMoves == ["publish", "adjust"])
        #expect(throws: IncidentError.self) { try warning.apply(.submit, plan: plan, actor: "企业", now: Fixture.at(1), ids: ids) }
        #expect(throws: IncidentError.self) { try warning.apply(.publish(post: "municipality"), plan: plan, actor: "师市", now: Fixture.at(1), ids: ids) }
        let events = try warning.apply(.publish(post: "unit:chem"), plan: plan, actor: "企业", now: Fixture.at(1), ids: ids)
        #expect(events.map(\.kind) == ["warning.published", "warning.reported_upward"])
        #expect(events.last?.payload == ["to": ["kunyu", "kunyu-224"], "unit": "chem", "source": "4.2.2"])
        #expect(warning.actions.isEmpty)
        #expect(throws: IncidentError.self) { try warning.apply(.lift(post: "municipality", reason: "已控制"), plan: plan, actor: "师市", now: Fixture.at(2), ids: ids) }
        _ = try warning.apply(.lift(post: "unit:chem", reason: "已控制"), plan: plan, actor: "企业", now: Fixture.at(2), ids: ids)
        #expect(warning.capMessages.map(\.msgType) == ["Alert", "Cancel"])
        // Lhasa's plan provides for no unit warnings.
        #expect(throws: IncidentError.self) {
            try Warning.draft(id: "w-3", plan: try Fixture.plan("lhasa"), jurisdiction: "lhasa", content: Self.content(level: 3), incidentID: nil,
                              unit: WarningUnit(organisationID: "b", name: "某建筑"), actor: "企业", now: Fixture.t0)
        }
    }
}
