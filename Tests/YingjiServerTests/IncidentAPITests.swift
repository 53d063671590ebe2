import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YingjiCore
import YingjiServer

@Suite struct IncidentAPITests {
    @Test(arguments: Engine.all) func initialReportIsGradedAndStartsEveryClock(_ engine: Engine) async throws {
        try await TestServer.start(engine).test { client in
            let response = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(), body: json(kunyuReport(deaths: 3)))
            #expect(response.status == .created)
            let incident = try object(response)
            let id = try #require(incident["id"] as? String)
            #expect(response.headers[.location] == "/api/v1/incidents/\(id)")
            #expect(incident["status"] as? String == "reported")
            #expect(incident["allowedTransitions"] as? [String] == ["verify"])
            let grade = try #require(incident["grade"] as? [String: Any])
            #expect(grade["grade"] as? Int == 3)
            #expect((grade["planVersion"] as? String)?.hasPrefix("kunyu@") == true)
            let criteria = try #require(grade["criteria"] as? [[String: Any]])
            #expect(criteria.contains { $0["metric"] as? String == "deaths" && $0["grade"] as? Int == 3 && $0["source"] as? String == "附件1" })
            let authority = try #require(incident["authority"] as? [String: Any])
            #expect(authority["level"] as? Int == 3)
            #expect((authority["signs"] as? [[String: Any]])?.first?["name"] as? String == "师市专项指挥部指挥长")
            // 条例第九条: the unit reports within 1 hour of knowing; that is the first open deadline.
            let obligations = try #require(incident["obligations"] as? [[String: Any]])
            let unit = try #require(obligations.first { $0["ruleID"] as? String == "unit-to-local" })
            #expect(unit["dueAt"] as? String == "2026-03-01T03:10:00+08:00")
            #expect(unit["status"] as? String == "pending")
            #expect(incident["nextDeadline"] as? String == "2026-03-01T03:10:00+08:00")

            // The detail and the list agree with what was returned.
            let detail = try object(try await get(client, "/api/v1/incidents/\(id)"))
            #expect(detail["version"] as? Int == 1)
            let list = try object(try await get(client, "/api/v1/incidents?status=reported&grade=3"))
            #expect((list["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
            let none = try object(try await get(client, "/api/v1/incidents?grade=1"))
            #expect((none["items"] as? [Any])?.isEmpty == true)
            // The timeline holds the report and the grade, chained.
            let timeline = try object(try await get(client, "/api/v1/incidents/\(id)/timeline"))
            let entries = try #require(timeline["items"] as? [[String: Any]])
            #expect(entries.first?["kind"] as? String == "incident.reported")
            #expect(entries.first?["actor"] as? String == actorName("kunyu-duty-officer"))
            #expect(entries.first?["actor"] as? String == "第十四师昆玉市值班员（演示）（kunyu-duty-officer）")
            #expect(entries.first?["previousHash"] as? String == String(repeating: "0", count: 64))
            #expect(entries.dropFirst().first?["previousHash"] as? String == entries.first?["hash"] as? String)
        }
    }

    @Test(arguments: Engine.all) func lifecycleOverHTTPFollowsThePlan(_ engine: Engine) async throws {
        try await TestServer.start(engine).test { client in
            let id = try #require(try await create(client)["id"] as? String)
            // Illegal move: start a response before verification.
            var response = try await transition(client, id, ["action": "startResponse", "version": 1, "level": 3, "decidedBy": "commander", "signedBy": "commander"])
            #expect(response.status == .conflict)
            #expect(try errorField(response).code == "lifecycle.illegal_move")
            response = try await transition(client, id, ["action": "verify", "version": 1, "note": "电话核实"])
            #expect(response.status == .ok)
            #expect(try object(response)["allowedTransitions"] as? [String] == ["closeWithoutResponse", "startResponse"])
            // Level 3 is started by the commander (5.3.2): the commander cannot sign in the deputy's name,
            // the deputy cannot start it, the duty officer may not decide responses at all.
            response = try await transition(client, id, ["action": "startResponse", "version": 2, "level": 3, "decidedBy": "commander", "signedBy": "deputy-commander"])
            #expect(response.status == .forbidden)
            var refused = try errorField(response)
            #expect(refused.code == "response.not_holder")
            #expect(refused.field == "signedBy")
            #expect(refused.message?.contains("5.3.2") == true)
            response = try await transition(client, id, ["action": "startResponse", "version": 2, "level": 3], as: "kunyu-deputy-commander")
            #expect(response.status == .forbidden)
            refused = try errorField(response)
            #expect(refused.code == "response.not_authorised")
            #expect(refused.field == "decidedBy")
            #expect(refused.message?.contains("5.3.2") == true)
            response = try await transition(client, id, ["action": "startResponse", "version": 2, "level": 3], as: "kunyu-duty-officer")
            #expect(response.status == .forbidden)
            #expect(try errorField(response).code == "auth.forbidden")
            // A stale version is 409 and changes nothing.
            response = try await transition(client, id, ["action": "startResponse", "version": 1, "level": 3, "decidedBy": "commander", "signedBy": "commander"])
            #expect(response.status == .conflict)
            #expect(try errorField(response).code == "incident.version_conflict")
            response = try await transition(client, id, ["action": "startResponse", "version": 2, "level": 3])
            #expect(response.status == .ok)
            let responding = try object(response)
            #expect(responding["status"] as? String == "responding")
            #expect((responding["response"] as? [String: Any])?["signedBy"] as? String == "commander")
            // 谁启动、谁关闭: after on-site work ends, only the commander ends the response.
            var version = 3
            for condition in ["all-rescued", "scene-controlled", "environment-ok", "secondary-removed"] {
                response = try await transition(client, id, ["action": "confirmCondition", "version": version, "conditionID": condition])
                #expect(response.status == .ok)
                version += 1
            }
            response = try await transition(client, id, ["action": "endOnSiteWork", "version": version])
            #expect(response.status == .ok)
            version += 1
            response = try await transition(client, id, ["action": "endResponse", "version": version], as: "kunyu-deputy-commander")
            #expect(response.status == .forbidden)
            #expect(try errorField(response).code == "response.not_starter")
            response = try await transition(client, id, ["action": "endResponse", "version": version, "endedBy": "deputy-commander"])
            #expect(response.status == .forbidden)
            for step in [["action": "endResponse", "endedBy": "commander"], ["action": "beginAftermath"],
                         ["action": "recordEvaluation", "summary": "总结评估报告已报师市"], ["action": "archive"]] as [[String: Any]] {
                var body = step
                body["version"] = version
                response = try await transition(client, id, body)
                #expect(response.status == .ok, "\(step): \(String(buffer: response.body))")
                version += 1
            }
            // Archived: read-only, through every write route.
            response = try await transition(client, id, ["action": "verify", "version": version])
            #expect(response.status == .conflict)
            response = try await client.execute(uri: "/api/v1/incidents/\(id)/reports", method: .post, headers: headers(),
                                                body: json(["kind": "followUp", "version": version, "fields": ["developments": "无"]]))
            #expect(response.status == .conflict)
            #expect(try errorField(response).code == "incident.archived")
            let detail = try object(try await get(client, "/api/v1/incidents/\(id)"))
            #expect(detail["status"] as? String == "archived")
            #expect(detail["version"] as? Int == version)
            #expect(detail["allowedTransitions"] as? [String] == [])
        }
    }

    /// A 团场 applies the 师市's plan, but a response under it is started by the 师市's posts
    /// (Kunyu 5.3.2): the 团场's own commander holds none of them, and is refused without a change.
    @Test func aLowerAreaUnderTheSamePlanDoesNotStartTheMunicipalitysResponse() async throws {
        let extra = Demo.Account(login: "kunyu-224-commander", name: "二二四团指挥长（测试）", grant: RoleGrant(role: .commander, jurisdictionID: "kunyu-224"))
        try await TestServer.start(.sqlite, accounts: Demo.accounts + [extra]).test { client in
            let id = try #require(try await create(client, kunyuReport(extra: ["jurisdiction": "kunyu-224"]), as: "kunyu-224-duty-officer")["id"] as? String)
            #expect(try await transition(client, id, ["action": "verify", "version": 1], as: "kunyu-224-duty-officer").status == .ok)
            var response = try await transition(client, id, ["action": "startResponse", "version": 2, "level": 3, "decidedBy": "commander", "signedBy": "commander"],
                                                as: "kunyu-224-commander")
            #expect(response.status == .forbidden)
            #expect(try errorField(response).field == "decidedBy")
            #expect(try object(try await get(client, "/api/v1/incidents/\(id)"))["status"] as? String == "verified")
            response = try await transition(client, id, ["action": "startResponse", "version": 2, "level": 3, "decidedBy": "commander", "signedBy": "commander"])
            #expect(response.status == .ok)
            #expect((try object(response)["response"] as? [String: Any])?["decidedBy"] as? String == "commander")
        }
    }

    @Test(arguments: Engine.all) func followUpRegradesAndRetiresObligations(_ engine: Engine) async throws {
        try await TestServer.start(engine).test { client in
            let created = try await create(client, kunyuReport(deaths: 3))
            let id = try #require(created["id"] as? String)
            let response = try await client.execute(uri: "/api/v1/incidents/\(id)/reports", method: .post, headers: headers(),
                                                    body: json(["kind": "followUp", "version": 1, "figures": ["deaths": 12], "fields": ["developments": "又发现 9 名遇难者"]]))
            #expect(response.status == .created)
            let incident = try object(response)
            #expect((incident["grade"] as? [String: Any])?["grade"] as? Int == 2)
            #expect((incident["figures"] as? [String: Any])?["deaths"] as? Int == 12)
            #expect((incident["reports"] as? [Any])?.count == 2)
            // Kunyu 5.1.1: grade 1–2 adds the 30-minute report to the 兵团.
            let obligations = try #require(incident["obligations"] as? [[String: Any]])
            #expect(obligations.contains { $0["ruleID"] as? String == "kunyu-bingtuan-30min" && $0["status"] as? String == "pending" })
            let reports = try object(try await get(client, "/api/v1/incidents/\(id)/reports"))
            #expect((reports["items"] as? [[String: Any]])?.map { $0["kind"] as? String } == ["initial", "followUp"])
        }
    }

    @Test(arguments: Engine.all) func fulfilmentRecordsWhoHowAndReference(_ engine: Engine) async throws {
        try await TestServer.start(engine).test { client in
            let incident = try await create(client)
            let id = try #require(incident["id"] as? String)
            let obligation = try #require((incident["obligations"] as? [[String: Any]])?.first { $0["ruleID"] as? String == "unit-to-local" })
            let obligationID = try #require(obligation["id"] as? String)
            let uri = "/api/v1/incidents/\(id)/obligations/\(obligationID)/fulfilment"
            var response = try await client.execute(uri: uri, method: .post, headers: headers(), body: json(["channel": "press-conference", "reference": "x", "version": 1]))
            #expect(response.status == .unprocessableContent)
            #expect(try errorField(response).field == "channel")
            response = try await client.execute(uri: uri, method: .post, headers: headers(), body: json(["channel": "phone", "reference": "电话记录 2026-0301-07", "version": 1]))
            #expect(response.status == .ok)
            let fulfilled = try #require((try object(response)["obligations"] as? [[String: Any]])?.first { $0["id"] as? String == obligationID })
            #expect(fulfilled["status"] as? String == "fulfilled")
            let proof = try #require(fulfilled["fulfilment"] as? [String: Any])
            #expect(proof["by"] as? String == actorName("kunyu-duty-officer"))
            #expect(proof["reference"] as? String == "电话记录 2026-0301-07")
            #expect(proof["late"] as? Bool == false)
        }
    }

    @Test(arguments: Engine.all) func obligationsTurnOverdueAtTheMinuteAndAreListed(_ engine: Engine) async throws {
        let clock = TestClock(t0)
        let running = try await TestServer.start(engine, clock: clock)
        try await running.test { client in
            let id = try #require(try await create(client)["id"] as? String)
            clock.set(at(59))
            #expect(try await running.server.sweep().isEmpty)
            var overdue = try object(try await get(client, "/api/v1/obligations?status=overdue"))
            #expect((overdue["items"] as? [Any])?.isEmpty == true)
            clock.set(at(60))
            let swept = try await running.server.sweep()
            #expect(swept.map(\.id) == [id])
            #expect(swept.first?.newlyOverdue.map(\.ruleID) == ["unit-to-local"])
            overdue = try object(try await get(client, "/api/v1/obligations?status=overdue"))
            let items = try #require(overdue["items"] as? [[String: Any]])
            #expect(items.map { $0["ruleID"] as? String } == ["unit-to-local"])
            #expect(items.first?["incidentID"] as? String == id)
            #expect(items.first?["dueAt"] as? String == "2026-03-01T03:10:00+08:00")
            let flagged = try object(try await get(client, "/api/v1/incidents?overdue=true"))
            #expect((flagged["items"] as? [[String: Any]])?.first?["overdueCount"] as? Int == 1)
            // A second sweep at the same minute changes nothing.
            #expect(try await running.server.sweep().isEmpty)
        }
    }

    @Test(arguments: Engine.all) func aDeadlineAQuarterOfAnHourAwayIsAnnouncedOnceAsDueSoon(_ engine: Engine) async throws {
        let clock = TestClock(t0)
        let running = try await TestServer.start(engine, clock: clock)
        try await running.test { client in
            let id = try #require(try await create(client)["id"] as? String)
            /// The `obligation.due_soon` events a sweep at `time` publishes.
            func dueSoon(sweepingAt time: Date) async throws -> [ServerEvent] {
                clock.set(time)
                let (subscription, _, stream) = running.server.events.subscribe(lastEventID: nil)
                try await running.server.sweep()
                running.server.events.unsubscribe(subscription)
                var found: [ServerEvent] = []
                for await event in stream where event.name == "obligation.due_soon" { found.append(event) }
                return found
            }
            // unit-to-local falls due at 03:10 (an hour after 02:10); the reminder goes a quarter of an hour before.
            #expect(try await dueSoon(sweepingAt: at(40)).isEmpty)
            #expect(try await dueSoon(sweepingAt: at(44).addingTimeInterval(40)).isEmpty)
            let announced = try await dueSoon(sweepingAt: at(45))
            #expect(announced.map { $0.data["ruleID"] } == [.string("unit-to-local")])
            #expect(announced.first?.data["incidentID"] == .string(id))
            #expect(announced.first?.data["dueAt"] == "2026-03-01T03:10:00+08:00")
            #expect(announced.first?.data["status"] == "pending")
            #expect(announced.first?.data["secondsLeft"] == 900)
            // Once per deadline: later sweeps before it do not repeat it; at the minute it turns overdue.
            #expect(try await dueSoon(sweepingAt: at(50)).isEmpty)
            #expect(try await dueSoon(sweepingAt: at(59)).isEmpty)
            clock.set(at(60))
            #expect(try await running.server.sweep().flatMap(\.newlyOverdue).map(\.ruleID) == ["unit-to-local"])
        }
    }

    /// Reminders are found a page of incidents at a time; every page is reached.
    @Test func dueSoonRemindersReachEveryIncidentPageByPage() async throws {
        let clock = TestClock(t0)
        let running = try await TestServer.start(.sqlite, clock: clock)
        try await running.test { client in
            var opened: Set<String> = []
            for _ in 1...3 { opened.insert(try #require(try await create(client)["id"] as? String)) }
            clock.set(at(45))
            let announced = try await running.server.announceDueSoon(pageSize: 1)
            #expect(Set(announced.map(\.incidentID)) == opened)
            #expect(announced.map(\.obligation.ruleID) == Array(repeating: "unit-to-local", count: 3))
        }
    }

    /// A check reads whole only the incidents that changed since it last read them or have a
    /// deadline newly within the lead; the others it passes over by their version alone.
    @Test func dueSoonChecksReadOnlyIncidentsThatChangedOrHaveANewDeadlineWithinTheLead() async throws {
        let clock = TestClock(t0)
        let running = try await TestServer.start(.sqlite, clock: clock)
        try await running.test { client in
            let incident = try await create(client)
            let id = try #require(incident["id"] as? String)
            let obligations = try #require(incident["obligations"] as? [[String: Any]])
            // unit-to-local falls due at 03:10, escalate-province (3 h) at 05:10.
            #expect(obligations.first { $0["ruleID"] as? String == "escalate-province" }?["dueAt"] as? String == "2026-03-01T05:10:00+08:00")
            func check(at minutes: Double, seconds: TimeInterval = 0) async throws -> [String] {
                clock.set(at(minutes).addingTimeInterval(seconds))
                return try await running.server.announceDueSoon().map(\.obligation.ruleID)
            }
            #expect(try await check(at: 45) == ["unit-to-local"])
            #expect(running.server.dueSoonIncidentsRead == 1)
            #expect(try await check(at: 50) == [])
            #expect(try await check(at: 164, seconds: 30) == [])
            #expect(running.server.dueSoonIncidentsRead == 1, "unchanged, with nothing new within the lead: not read again")
            #expect(try await check(at: 165) == ["escalate-province"])
            #expect(running.server.dueSoonIncidentsRead == 2)
            let unitToLocal = try #require(obligations.first { $0["ruleID"] as? String == "unit-to-local" }?["id"] as? String)
            let response = try await client.execute(uri: "/api/v1/incidents/\(id)/obligations/\(unitToLocal)/fulfilment", method: .post, headers: headers(),
                                                    body: json(["channel": "phone", "reference": "电话记录 07", "version": 1]))
            #expect(response.status == .ok)
            #expect(try await check(at: 166) == [])
            #expect(running.server.dueSoonIncidentsRead == 3, "changed since: read again")
            #expect(try await check(at: 167) == [])
            #expect(running.server.dueSoonIncidentsRead == 3)
        }
    }

    /// The store is looked at most every 15 s, so a sweep soon after a check finds nothing new
    /// until the interval has passed; a lead shorter than that is checked as often as it is long,
    /// and a lead of 0 sends no reminder at all.
    @Test(arguments: [(Server.defaultDueSoonLead, 15.0), (5, 5), (0, 0)])
    func dueSoonChecksAreSpacedByTheShorterOfTheLeadAndFifteenSeconds(_ lead: TimeInterval, _ spacing: TimeInterval) async throws {
        let clock = TestClock(t0)
        let running = try await TestServer.start(.sqlite, clock: clock, dueSoonLead: lead)
        try await running.test { client in
            _ = try #require(try await create(client)["id"] as? String)
            // unit-to-local falls due at 03:10; the check just before the lead begins sees nothing.
            let due = at(60)
            clock.set(due.addingTimeInterval(-lead - 1))
            #expect(try await running.server.announceDueSoon().isEmpty)
            guard lead > 0 else {
                for before: TimeInterval in [900, 60, 1] {
                    clock.set(due.addingTimeInterval(-before))
                    #expect(try await running.server.announceDueSoon().isEmpty)
                }
                return
            }
            // Inside the lead but sooner than `spacing` after that check: not looked at yet.
            clock.set(due.addingTimeInterval(-lead - 1 + spacing - 0.5))
            #expect(try await running.server.announceDueSoon().isEmpty)
            clock.set(due.addingTimeInterval(-lead - 1 + spacing))
            #expect(try await running.server.announceDueSoon().map(\.obligation.ruleID) == ["unit-to-local"])
            clock.set(due.addingTimeInterval(-0.5))
            #expect(try await running.server.announceDueSoon().isEmpty)
        }
    }

    @Test(arguments: Engine.all) func sameKeyReplaysAndAnotherBodyIsRefused(_ engine: Engine) async throws {
        try await TestServer.start(engine).test { client in
            let body = json(kunyuReport())
            let first = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(key: "k-1"), body: body)
            let second = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(key: "k-1"), body: body)
            #expect(first.status == .created)
            #expect(second.status == .created)
            #expect(second.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try object(first)["id"] as? String == object(second)["id"] as? String)
            let other = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(key: "k-1"), body: json(kunyuReport(deaths: 4)))
            #expect(other.status == .unprocessableContent)
            #expect(try errorField(other).code == "idempotency.key_reused")
            let list = try object(try await get(client, "/api/v1/incidents"))
            #expect((list["items"] as? [Any])?.count == 1)
        }
    }

    @Test(arguments: Engine.all) func fiftyConcurrentRetriesMakeOneIncident(_ engine: Engine) async throws {
        try await TestServer.start(engine).test { client in
            let body = json(kunyuReport())
            let ids = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let response = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(key: "retry-50"), body: body)
                        return (response.status, try object(response)["id"] as? String)
                    }
                }
                return try await group.reduce(into: [(HTTPResponse.Status, String?)]()) { $0.append($1) }
            }
            #expect(ids.count == 50)
            #expect(ids.allSatisfy { $0.0 == .created })
            #expect(Set(ids.compactMap(\.1)).count == 1)
            let list = try object(try await get(client, "/api/v1/incidents"))
            #expect((list["items"] as? [Any])?.count == 1)
        }
    }

    @Test(arguments: Engine.all) func twoWritersWithOneVersionOneWins(_ engine: Engine) async throws {
        try await TestServer.start(engine).test { client in
            let id = try #require(try await create(client)["id"] as? String)
            async let first = transition(client, id, ["action": "verify", "version": 1, "note": "甲"])
            async let second = transition(client, id, ["action": "verify", "version": 1, "note": "乙"])
            let statuses = [try await first.status, try await second.status].map(\.code).sorted()
            #expect(statuses == [200, 409])
            let timeline = try object(try await get(client, "/api/v1/incidents/\(id)/timeline"))
            #expect((timeline["items"] as? [[String: Any]])?.filter { $0["kind"] as? String == "incident.verified" }.count == 1)
        }
    }

    @Test(arguments: Engine.all) func correctionsAppendAndPointAtTheEntry(_ engine: Engine) async throws {
        let running = try await TestServer.start(engine)
        try await running.test { client in
            let id = try #require(try await create(client)["id"] as? String)
            let uri = "/api/v1/incidents/\(id)/corrections"
            // Corrections are for the duty leader and the HQ office, not the duty officer who reported.
            var response = try await client.execute(uri: uri, method: .post, headers: headers(),
                                                    body: json(["corrects": 1, "reason": "笔误", "correction": "x", "version": 1]))
            #expect(response.status == .forbidden)
            response = try await client.execute(uri: uri, method: .post, headers: headers(as: "kunyu-duty-leader"),
                                                body: json(["corrects": 99, "reason": "笔误", "correction": "x", "version": 1]))
            #expect(response.status == .unprocessableContent)
            #expect(try errorField(response).field == "corrects")
            response = try await client.execute(uri: uri, method: .post, headers: headers(as: "kunyu-duty-leader"),
                                                body: json(["corrects": 1, "reason": "地点笔误", "correction": "地点应为 4 号罐区", "version": 1]))
            #expect(response.status == .created)
            #expect(try object(response)["version"] as? Int == 2)
            let timeline = try object(try await get(client, "/api/v1/incidents/\(id)/timeline"))
            let entries = try #require(timeline["items"] as? [[String: Any]])
            let correction = try #require(entries.last)
            #expect(correction["kind"] as? String == "record.corrected")
            #expect(correction["corrects"] as? Int == 1)
            #expect((correction["payload"] as? [String: Any])?["correction"] as? String == "地点应为 4 号罐区")
            // The corrected entry is unchanged and the chain still holds.
            #expect(entries.first?["kind"] as? String == "incident.reported")
            #expect(((entries.first?["payload"] as? [String: Any])?["fields"] as? [String: Any])?["place"] as? String == "工业园区 3 号罐区")
            #expect(try await running.server.store.verifyTimelines(incidentID: id).isEmpty)
        }
    }

    /// Details are answered from a cache keyed by version: a read after a write never sees the old one.
    @Test(arguments: Engine.all) func detailAfterAWriteIsTheNewVersion(_ engine: Engine) async throws {
        try await TestServer.start(engine).test { client in
            let id = try #require(try await create(client)["id"] as? String)
            for _ in 0..<2 {
                let cached = try object(try await get(client, "/api/v1/incidents/\(id)"))
                #expect(cached["version"] as? Int == 1)
                #expect(cached["status"] as? String == "reported")
            }
            #expect(try await transition(client, id, ["action": "verify", "version": 1]).status == .ok)
            let fresh = try object(try await get(client, "/api/v1/incidents/\(id)"))
            #expect(fresh["version"] as? Int == 2)
            #expect(fresh["status"] as? String == "verified")
            #expect(fresh["allowedTransitions"] as? [String] == ["closeWithoutResponse", "startResponse"])
        }
    }
}
