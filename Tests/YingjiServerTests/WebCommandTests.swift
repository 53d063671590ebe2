import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YingjiCore
import YingjiServer

/// 现场指挥 page through the router: the plan's groups, a task handed to a unit and acknowledged
/// by that unit's liaison, what the liaison may not do, forces checked in.
@Suite struct WebCommandTests {
    typealias Page = WebPageTests

    @Test(arguments: Engine.all) func theCommanderHandsATaskToTheUnitAndItsLiaisonAcknowledgesIt(_ engine: Engine) async throws {
        try await TestServer.start(engine, accounts: Demo.accounts).test { client in
            let id = try #require(try await create(client)["id"] as? String)
            let (commander, _) = try await Page.signIn(client, "kunyu-commander")
            var page = try await Page.page(client, "/incidents/\(id)/command", cookie: commander).html
            #expect(page.contains(#"id="no-post""#))
            #expect(try await transition(client, id, ["action": "verify", "version": 1], as: "kunyu-duty-officer").status == .ok)
            #expect(try await transition(client, id, ["action": "startResponse", "level": 3, "version": 2]).status == .ok)
            page = try await Page.page(client, "/incidents/\(id)/command", cookie: commander).html
            #expect(Page.htmlProblems(page) == [])
            #expect(page.components(separatedBy: #"<section class="card group group-active""#).count - 1 == 9)
            #expect(page.contains("<h3>抢险救援组 <small>工作中</small></h3>"))
            let csrf = try Page.csrf(in: page)
            var response = try await Page.post(client, "/incidents/\(id)/command", cookie: commander,
                                               [("_csrf", csrf), ("version", "3"), ("op", "createTask"), ("title", "封控周边道路"),
                                                ("assignee", "unit:kunyu-police"), ("acknowledgeWithinMinutes", "10"), ("dueAt", "2026-03-01T03:00")])
            #expect(response.status == .seeOther)
            page = try await Page.page(client, "/incidents/\(id)/command", cookie: commander).html
            // An ad hoc task has no plan clause (not the HQ's, not a group's).
            #expect(page.contains("<strong>封控周边道路</strong> <span class=\"state\">待受领</span> · 第十四师昆玉市公安局\n"))
            #expect(page.contains(#"data-due="2026-03-01T02:20:00+08:00""#))
            #expect(page.contains(#"完成时限 2026-03-01 03:00 <span class="countdown" data-due="2026-03-01T03:00:00+08:00"></span>"#))
            // The police liaison sees the incident now, may acknowledge its own task and nothing else.
            let (liaison, _) = try await Page.signIn(client, "kunyu-member-liaison")
            page = try await Page.page(client, "/incidents/\(id)/command", cookie: liaison).html
            #expect(Page.htmlProblems(page) == [])
            #expect(!page.contains("form-create-task"))
            let task = try #require(page.firstMatch(of: /id="form-(task-[0-9]+|task_[a-z0-9]+)-acknowledge"/)?.output.1)
            let liaisonCSRF = try Page.csrf(in: page)
            response = try await Page.post(client, "/incidents/\(id)/command", cookie: liaison,
                                           [("_csrf", liaisonCSRF), ("version", "4"), ("op", "createTasksFromDuties"), ("groupID", "rescue")])
            #expect(response.status == .forbidden)
            #expect(String(buffer: response.body).contains(#"id="form-error""#))
            response = try await Page.post(client, "/incidents/\(id)/command", cookie: liaison,
                                           [("_csrf", liaisonCSRF), ("version", "4"), ("op", "acknowledgeTask"), ("taskID", String(task))])
            #expect(response.status == .seeOther)
            response = try await Page.post(client, "/incidents/\(id)/command", cookie: liaison,
                                           [("_csrf", liaisonCSRF), ("version", "5"), ("op", "noteTask"), ("taskID", String(task)), ("text", "已设卡 3 处")])
            #expect(response.status == .seeOther)
            page = try await Page.page(client, "/incidents/\(id)/command", cookie: commander).html
            #expect(page.contains("<strong>封控周边道路</strong> <span class=\"state\">已受领</span>"))
            #expect(page.contains("：已设卡 3 处</small>"))
            // The rescue group's plan duties as its checklist; a team checks in.
            response = try await Page.post(client, "/incidents/\(id)/command", cookie: commander,
                                           [("_csrf", csrf), ("version", "6"), ("op", "createTasksFromDuties"), ("groupID", "rescue")])
            #expect(response.status == .seeOther)
            response = try await Page.post(client, "/incidents/\(id)/command", cookie: commander,
                                           [("_csrf", csrf), ("version", "7"), ("op", "checkIn"), ("team", "南园二街消防救援站"), ("leader", "李队长"),
                                            ("contact", "13900000000"), ("headcount", "24"), ("equipment", "水罐车 3 台")])
            #expect(response.status == .seeOther)
            response = try await Page.post(client, "/incidents/\(id)/command", cookie: commander,
                                           [("_csrf", csrf), ("version", "8"), ("op", "attachTeam"), ("kind", "现场工作指导组"), ("name", "兵团应急管理局工作组"),
                                            ("leader", "王处长")])
            #expect(response.status == .seeOther)
            page = try await Page.page(client, "/incidents/\(id)/command", cookie: commander).html
            #expect(page.contains("<li>现场工作指导组：兵团应急管理局工作组（带队 王处长） · 2026-03-01 02:10</li>"))
            #expect(page.contains("<strong>控制危险源，防止次生、衍生事故发生</strong>"))
            #expect(page.contains("<td>南园二街消防救援站</td>"))
            #expect(page.contains("在场人数：24"))
            #expect(Page.htmlProblems(page) == [])
        }
    }
}
