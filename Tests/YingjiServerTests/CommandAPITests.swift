import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YingjiCore
import YingjiServer

/// 现场指挥部 over HTTP: set up by the response, tasks for units acted on by their own liaison
/// only, escalation by the sweep at the minute with an event, everything on the chain.
@Suite struct CommandAPITests {
    func command(_ client: some TestClientProtocol, _ id: String, _ body: [String: Any], as login: String = "kunyu-commander") async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/incidents/\(id)/command", method: .post, headers: headers(as: login), body: json(body))
    }

    /// A Kunyu 较大 incident, verified and responding at level 3 (version 3).
    func responding(_ client: some TestClientProtocol) async throws -> String {
        let id = try #require(try await create(client)["id"] as? String)
        #expect(try await transition(client, id, ["action": "verify", "version": 1], as: "kunyu-duty-officer").status == .ok)
        #expect(try await transition(client, id, ["action": "startResponse", "level": 3, "version": 2]).status == .ok)
        return id
    }

    @Test(arguments: Engine.all) func theResponseSetsUpThePlansGroupsAndUnitsActOnlyOnTheirOwnTasks(_ engine: Engine) async throws {
        let running = try await TestServer.start(engine, accounts: Demo.accounts)
        try await running.test { client in
            let id = try #require(try await create(client)["id"] as? String)
            // Before a response: no HQ, and changes are refused.
            var view = try object(try await get(client, "/api/v1/incidents/\(id)/command"))
            #expect(view["commandPost"] is NSNull)
            #expect(try await command(client, id, ["op": "checkIn", "team": "消防", "leader": "李", "contact": "139", "headcount": 5, "version": 1]).status == .conflict)
            #expect(try await transition(client, id, ["action": "verify", "version": 1], as: "kunyu-duty-officer").status == .ok)
            #expect(try await transition(client, id, ["action": "startResponse", "level": 3, "version": 2]).status == .ok)
            view = try object(try await get(client, "/api/v1/incidents/\(id)/command"))
            let post = try #require(view["commandPost"] as? [String: Any])
            let groups = try #require(post["groups"] as? [[String: Any]])
            #expect(groups.map { $0["name"] as? String } == ["综合协调组", "抢险救援组", "宣传信息组", "治安交通组", "医疗救护组", "环境监测组", "应急保障组", "善后处置组", "专家咨询组"])
            #expect(groups.first { $0["id"] as? String == "rescue" }?["lead"] as? String == "师市应急管理局")

            // A task for the police: its liaison (who could not see the incident before) now may acknowledge it.
            #expect(try await get(client, "/api/v1/incidents/\(id)", as: "kunyu-member-liaison").status == .notFound)
            var response = try await command(client, id, ["op": "createTask", "title": "封控 3 号罐区周边道路", "version": 3,
                                                          "assignee": ["kind": "unit", "id": "kunyu-police", "name": "师市公安局"]])
            #expect(response.status == .ok)
            let taskID = try #require(((try object(response)["commandPost"] as? [String: Any])?["tasks"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await get(client, "/api/v1/incidents/\(id)", as: "kunyu-member-liaison").status == .ok)
            // The liaison may not hand out tasks, nor act on the rescue group's.
            response = try await command(client, id, ["op": "createTasksFromDuties", "groupID": "rescue", "version": 4], as: "kunyu-member-liaison")
            #expect(response.status == .forbidden)
            response = try await command(client, id, ["op": "createTasksFromDuties", "groupID": "rescue", "version": 4])
            #expect(response.status == .ok)
            let rescueTask = try #require(((try object(response)["commandPost"] as? [String: Any])?["tasks"] as? [[String: Any]])?.last?["id"] as? String)
            response = try await command(client, id, ["op": "acknowledgeTask", "taskID": rescueTask, "version": 5], as: "kunyu-member-liaison")
            #expect(response.status == .forbidden)
            #expect(try errorField(response).code == "task.not_own_unit")
            // … nor on another unit's.
            response = try await command(client, id, ["op": "createTask", "title": "关停 2 号装置", "version": 5,
                                                      "assignee": ["kind": "unit", "id": "kunyu-chem", "name": "昆玉市某化工有限公司"]])
            #expect(response.status == .ok)
            let chemTask = try #require(((try object(response)["commandPost"] as? [String: Any])?["tasks"] as? [[String: Any]])?.last?["id"] as? String)
            response = try await command(client, id, ["op": "acknowledgeTask", "taskID": chemTask, "version": 6], as: "kunyu-member-liaison")
            #expect(response.status == .forbidden)
            #expect(try errorField(response).code == "task.not_own_unit")
            // A unit of another county is refused, even though it is registered.
            response = try await command(client, id, ["op": "createTask", "title": "x", "version": 6, "assignee": ["kind": "unit", "id": "bachu-police"]])
            #expect(response.status == .unprocessableContent)
            #expect(try errorField(response).field == "assignee.id")
            // A stale version is 409 and changes nothing.
            response = try await command(client, id, ["op": "acknowledgeTask", "taskID": taskID, "version": 5], as: "kunyu-member-liaison")
            #expect(response.status == .conflict)
            #expect(try errorField(response).code == "incident.version_conflict")
            response = try await command(client, id, ["op": "acknowledgeTask", "taskID": taskID, "version": 6], as: "kunyu-member-liaison")
            #expect(response.status == .ok)
            // An illegal move is 409 and changes nothing.
            response = try await command(client, id, ["op": "acknowledgeTask", "taskID": taskID, "version": 7], as: "kunyu-member-liaison")
            #expect(response.status == .conflict)
            #expect(try errorField(response).code == "task.illegal_move")
            #expect(try object(try await get(client, "/api/v1/incidents/\(id)"))["version"] as? Int == 7)
            // An unknown unit, an unknown op, a field the op does not take: 422 naming the field.
            response = try await command(client, id, ["op": "createTask", "title": "x", "version": 7, "assignee": ["kind": "unit", "id": "nowhere"]])
            #expect(try errorField(response).field == "assignee.id")
            response = try await command(client, id, ["op": "launch", "version": 7])
            #expect(try errorField(response).field == "op")
            response = try await command(client, id, ["op": "checkOut", "forceID": "f", "title": "x", "version": 7])
            #expect(try errorField(response).field == "title")
            // Check-in, assignment and handover are on the timeline, and the chain verifies.
            response = try await command(client, id, ["op": "checkIn", "team": "南园二街消防救援站", "leader": "李队长", "contact": "13900000000",
                                                      "headcount": 24, "equipment": "水罐车 3 台", "version": 7])
            #expect(response.status == .ok)
            let forceID = try #require(((try object(response)["commandPost"] as? [String: Any])?["forces"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await command(client, id, ["op": "assignForce", "forceID": forceID, "groupID": "rescue", "version": 8]).status == .ok)
            #expect(try await transition(client, id, ["action": "handOverCommand", "to": "兵团专项指挥机构", "handedOverBy": "师市专项指挥部指挥长",
                                                      "receivedBy": "兵团工作组组长", "version": 9]).status == .ok)
            view = try object(try await get(client, "/api/v1/incidents/\(id)/command"))
            #expect((view["commandPost"] as? [String: Any])?["commander"] as? String == "兵团专项指挥机构")
            let kinds = try #require((try object(try await get(client, "/api/v1/incidents/\(id)/timeline"))["items"] as? [[String: Any]])?.compactMap { $0["kind"] as? String })
            for kind in ["command.established", "task.created", "task.acknowledge", "force.checked_in", "force.assigned", "command.handed_over"] {
                #expect(kinds.contains(kind), "\(kind)")
            }
            #expect(try await running.server.store.verifyTimelines(incidentID: id).isEmpty)
        }
    }

    @Test func anUnacknowledgedTaskIsEscalatedByTheSweepAtTheMinuteWithAnEvent() async throws {
        let clock = TestClock(t0)
        let running = try await TestServer.start(.sqlite, clock: clock, accounts: Demo.accounts)
        try await running.test { client in
            let id = try await responding(client)
            let response = try await command(client, id, ["op": "createTask", "title": "搜救被困人员", "groupID": "rescue", "version": 3,
                                                          "assignee": ["kind": "group", "id": "rescue", "name": "抢险救援组"], "acknowledgeWithinMinutes": 5])
            #expect(response.status == .ok)
            let (_, missedBefore, stream) = running.server.events.subscribe(lastEventID: nil)
            #expect(missedBefore.isEmpty)
            clock.set(at(4).addingTimeInterval(59))
            try await running.server.sweep()
            var view = try object(try await get(client, "/api/v1/incidents/\(id)/command"))
            var task = try #require(((view["commandPost"] as? [String: Any])?["tasks"] as? [[String: Any]])?.first)
            #expect((task["escalations"] as? [Any])?.isEmpty == true)
            clock.set(at(5))
            try await running.server.sweep()
            view = try object(try await get(client, "/api/v1/incidents/\(id)/command"))
            task = try #require(((view["commandPost"] as? [String: Any])?["tasks"] as? [[String: Any]])?.first)
            let escalations = try #require(task["escalations"] as? [[String: Any]])
            #expect(escalations.count == 1)
            #expect(escalations.first?["to"] as? String == "师市应急管理局")
            #expect(escalations.first?["at"] as? String == Timestamp.format(at(5)))
            let escalated = try await Self.first("task.escalated", in: stream, within: .seconds(5))
            #expect(escalated?.data == ["incidentID": .string(id), "taskID": .string(task["id"] as? String ?? ""), "title": "搜救被困人员", "level": 1, "to": "师市应急管理局"])
            clock.set(at(10))
            try await running.server.sweep()
            view = try object(try await get(client, "/api/v1/incidents/\(id)/command"))
            task = try #require(((view["commandPost"] as? [String: Any])?["tasks"] as? [[String: Any]])?.first)
            #expect((task["escalations"] as? [[String: Any]])?.last?["to"] as? String == "现场指挥部总指挥")
        }
    }

    @Test func aTaskPastItsDueTimeIsMarkedOverdueByTheSweepWithAnEventAndShownOnItsPage() async throws {
        let clock = TestClock(t0)
        let running = try await TestServer.start(.sqlite, clock: clock, accounts: Demo.accounts)
        try await running.test { client in
            let id = try await responding(client)
            var response = try await command(client, id, ["op": "createTask", "title": "封控 3 号罐区周边道路", "version": 3, "dueAt": Timestamp.format(at(30)),
                                                          "assignee": ["kind": "unit", "id": "kunyu-police"], "acknowledgeWithinMinutes": 60])
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let (_, _, stream) = running.server.events.subscribe(lastEventID: nil)
            func task() async throws -> [String: Any] {
                let view = try object(try await get(client, "/api/v1/incidents/\(id)/command"))
                return try #require(((view["commandPost"] as? [String: Any])?["tasks"] as? [[String: Any]])?.first)
            }
            clock.set(at(29).addingTimeInterval(59))
            try await running.server.sweep()
            #expect(try await task()["overdue"] as? Bool == false)
            clock.set(at(30))
            let swept = try await running.server.sweep()
            #expect(swept.flatMap(\.newlyOverdueTasks).map(\.title) == ["封控 3 号罐区周边道路"])
            let marked = try await task()
            #expect(marked["overdue"] as? Bool == true)
            #expect(marked["overdueAt"] as? String == Timestamp.format(at(30)))
            let event = try await Self.first("task.overdue", in: stream, within: .seconds(5))
            #expect(event?.data["taskID"] == .string(marked["id"] as? String ?? ""))
            #expect(event?.data["dueAt"] == .time(at(30)))
            #expect(try await running.server.sweep().isEmpty)
            let entries = try #require((try object(try await get(client, "/api/v1/incidents/\(id)/timeline"))["items"] as? [[String: Any]]))
            #expect(entries.filter { $0["kind"] as? String == "task.overdue" }.count == 1)
            #expect(try await running.server.store.verifyTimelines(incidentID: id).isEmpty)
            let page = String(buffer: try await client.execute(uri: "/incidents/\(id)/command", method: .get, headers: headers(as: "kunyu-commander")).body)
            #expect(page.contains("已逾期未完成（时限 "))
            // And on the duty officer's overdue page, until it is done.
            let taskID = marked["id"] as? String ?? ""
            let overdue = { String(buffer: try await client.execute(uri: "/overdue", method: .get, headers: headers(as: "kunyu-duty-officer")).body) }
            var listed = try await overdue()
            #expect(listed.contains(#"<tr id="overdue-\#(taskID)" class="status-overdue">"#))
            #expect(listed.contains("封控 3 号罐区周边道路 · 第十四师昆玉市公安局（待受领）"))
            // Acknowledged and done late: the task is no longer shown overdue, and its lateness is on the record.
            clock.set(at(35))
            var version = try #require(try object(try await get(client, "/api/v1/incidents/\(id)/command"))["version"] as? Int)
            for op in ["acknowledgeTask", "completeTask"] {
                response = try await command(client, id, ["op": op, "taskID": marked["id"] as? String ?? "", "version": version])
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                version += 1
            }
            #expect(try await task()["overdue"] as? Bool == false)
            listed = try await overdue()
            #expect(!listed.contains("overdue-\(taskID)"))
            let completed = try #require((try object(try await get(client, "/api/v1/incidents/\(id)/timeline"))["items"] as? [[String: Any]])?.last)
            #expect(completed["kind"] as? String == "task.complete")
            #expect((completed["payload"] as? [String: Any])?["late"] as? Bool == true)
        }
    }

    /// The first event of that name on the stream, or nil if none comes in time.
    static func first(_ name: String, in stream: AsyncStream<ServerEvent>, within limit: Duration) async throws -> ServerEvent? {
        try await withThrowingTaskGroup(of: ServerEvent?.self) { group in
            group.addTask {
                for await event in stream where event.name == name { return event }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            let found = try await group.next() ?? nil
            group.cancelAll()
            return found
        }
    }

    @Test func theDutyOfficerConfirmsOrOverridesTheLeadDepartment() async throws {
        try await TestServer.start(.sqlite, accounts: Demo.accounts).test { client in
            let bachu = try planLibrary.load("bachu")
            let id = try #require(try await create(client, AccessMatrixTests.report(jurisdiction: "bachu", plan: bachu), as: "bachu-duty-officer")["id"] as? String)
            var view = try object(try await get(client, "/api/v1/incidents/\(id)/command", as: "bachu-duty-officer"))
            let suggestions = try #require((view["leadDepartment"] as? [String: Any])?["suggestions"] as? [[String: Any]])
            #expect(suggestions.first?["units"] as? [String] == ["巴楚县消防救援大队"])
            var response = try await client.execute(uri: "/api/v1/incidents/\(id)/lead-department", method: .post, headers: headers(as: "bachu-duty-officer"),
                                                    body: json(["units": ["巴楚县应急管理局"], "version": 1]))
            #expect(response.status == .unprocessableContent)
            #expect(try errorField(response).field == "reason")
            response = try await client.execute(uri: "/api/v1/incidents/\(id)/lead-department", method: .post, headers: headers(as: "bachu-duty-officer"),
                                                body: json(["units": ["巴楚县应急管理局"], "reason": "起火点在危化品仓库", "version": 1]))
            #expect(response.status == .ok)
            view = try object(response)
            #expect((view["leadDepartment"] as? [String: Any])?["chosen"] as? [String] == ["巴楚县应急管理局"])
            // A viewer may not.
            response = try await client.execute(uri: "/api/v1/incidents/\(id)/lead-department", method: .post, headers: headers(as: "bachu-viewer"),
                                                body: json(["units": ["巴楚县消防救援大队"], "version": 2]))
            #expect(response.status == .forbidden)
        }
    }
}

