import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YingjiCore
import YingjiServer

/// The incident page's moves, checklist and report forms through the router: only what the
/// account may do now is offered, a forged form is refused with the plan's clause, and each
/// accepted form lands in the record.
@Suite struct WebIncidentFormTests {
    typealias Page = WebPageTests

    @Test(arguments: Engine.all) func onlyTheHolderOfThePlansPostIsOfferedTheLevel(_ engine: Engine) async throws {
        try await TestServer.start(engine, accounts: Demo.accounts).test { client in
            let id = try #require(try await create(client)["id"] as? String)
            let (officer, _) = try await Page.signIn(client, "kunyu-duty-officer")
            var page = try await Page.page(client, "/incidents/\(id)", cookie: officer).html
            #expect(Page.htmlProblems(page) == [])
            // Reported: the duty officer may verify; nobody may start a level yet.
            #expect(page.contains(#"id="button-verify">核实事故</button>"#))
            #expect(!page.contains("button-startResponse"))
            let csrf = try Page.csrf(in: page)
            var response = try await Page.post(client, "/incidents/\(id)/transitions", cookie: officer,
                                               [("_csrf", csrf), ("version", "1"), ("action", "verify"), ("note", "电话核实")])
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/incidents/\(id)#moves")
            // Verified: still no level for the duty officer (Kunyu 5.3.2 gives level 3 to the 指挥长) …
            page = try await Page.page(client, "/incidents/\(id)", cookie: officer).html
            #expect(page.contains(#"<dd id="status">已核实</dd>"#))
            #expect(!page.contains("button-startResponse"))
            // … and a forged form is refused with the clause, nothing changed.
            response = try await Page.post(client, "/incidents/\(id)/transitions", cookie: officer,
                                           [("_csrf", csrf), ("version", "2"), ("action", "startResponse"), ("level", "3")])
            #expect(response.status == .forbidden)
            let refusal = String(buffer: response.body)
            #expect(refusal.contains(#"id="form-error""#))
            #expect(refusal.contains("三级响应须由师市专项指挥部指挥长决定启动（5.3.2）"))
            #expect(try object(try await get(client, "/api/v1/incidents/\(id)"))["version"] as? Int == 2)
            // The commander is offered the plan's level for the grade first, and the others the post allows.
            let (commander, _) = try await Page.signIn(client, "kunyu-commander")
            page = try await Page.page(client, "/incidents/\(id)", cookie: commander).html
            #expect(Page.htmlProblems(page) == [])
            #expect(page.contains(#"id="button-startResponse-3">启动三级响应（预案对应级别）</button>"#))
            #expect(page.contains(#"data-confirm="请确认：启动三级响应（预案对应级别）""#))
            #expect(!page.contains("button-startResponse-1"))
            let commanderCSRF = try Page.csrf(in: page)
            response = try await Page.post(client, "/incidents/\(id)/transitions", cookie: commander,
                                           [("_csrf", commanderCSRF), ("version", "2"), ("action", "startResponse"), ("level", "3")])
            #expect(response.status == .seeOther)
            page = try await Page.page(client, "/incidents/\(id)", cookie: commander).html
            #expect(page.contains(#"<dd id="level">三级</dd>"#))
            #expect(page.contains(#"<dd id="signed-by">师市专项指挥部指挥长</dd>"#))
            #expect(page.contains("负责应对"))
            #expect(page.contains("response.started"))
            // A form without the CSRF field is refused.
            response = try await Page.post(client, "/incidents/\(id)/transitions", cookie: commander,
                                           [("version", "3"), ("action", "suspendRescue"), ("reason", "余震")])
            #expect(response.status == .forbidden)
            #expect(try object(try await get(client, "/api/v1/incidents/\(id)"))["status"] as? String == "responding")
        }
    }

    @Test func theTerminationChecklistIsConfirmedItemByItem() async throws {
        try await TestServer.start(.sqlite, accounts: Demo.accounts).test { client in
            let id = try #require(try await create(client)["id"] as? String)
            #expect(try await transition(client, id, ["action": "verify", "version": 1], as: "kunyu-duty-officer").status == .ok)
            #expect(try await transition(client, id, ["action": "startResponse", "level": 3, "version": 2]).status == .ok)
            let (commander, _) = try await Page.signIn(client, "kunyu-commander")
            var page = try await Page.page(client, "/incidents/\(id)", cookie: commander).html
            for condition in ["all-rescued", "scene-controlled", "environment-ok", "secondary-removed"] {
                #expect(page.contains(#"id="button-confirmCondition-\#(condition)">确认此条件已满足</button>"#), "\(condition)")
            }
            let csrf = try Page.csrf(in: page)
            // Ending on-site work with conditions open is refused, naming them (5.8).
            var response = try await Page.post(client, "/incidents/\(id)/transitions", cookie: commander,
                                               [("_csrf", csrf), ("version", "3"), ("action", "endOnSiteWork")])
            #expect(response.status == .conflict)
            #expect(String(buffer: response.body).contains("尚未确认的终止条件：遇险人员全部搜救完毕"))
            response = try await Page.post(client, "/incidents/\(id)/transitions", cookie: commander,
                                           [("_csrf", csrf), ("version", "3"), ("action", "confirmCondition"), ("conditionID", "all-rescued")])
            #expect(response.status == .seeOther)
            page = try await Page.page(client, "/incidents/\(id)", cookie: commander).html
            #expect(page.contains("遇险人员全部搜救完毕 <small>（\(actorName("kunyu-commander")) · 2026-03-01 02:10）</small>"))
            #expect(!page.contains("button-confirmCondition-all-rescued"))
            // A stale page (version 3 again) is refused: someone else has written since.
            response = try await Page.post(client, "/incidents/\(id)/transitions", cookie: commander,
                                           [("_csrf", csrf), ("version", "3"), ("action", "confirmCondition"), ("conditionID", "scene-controlled")])
            #expect(response.status == .conflict)
        }
    }

    @Test(arguments: Engine.all) func aFollowUpFromThePageRegradesAndStartsTheNewClock(_ engine: Engine) async throws {
        try await TestServer.start(engine, accounts: Demo.accounts).test { client in
            let id = try #require(try await create(client)["id"] as? String)
            let (officer, _) = try await Page.signIn(client, "kunyu-duty-officer")
            var page = try await Page.page(client, "/incidents/\(id)", cookie: officer).html
            // Kunyu's 续报 content (5.1.2) labels the follow-up form.
            #expect(page.contains(#"<label for="followUp-developments">事故最新发展、变化</label>"#))
            #expect(page.contains(#"<label for="late-deaths">已经造成或者可能造成的死亡人数</label>"#))
            let csrf = try Page.csrf(in: page)
            var response = try await Page.post(client, "/incidents/\(id)/reports", cookie: officer,
                                               [("_csrf", csrf), ("version", "1"), ("kind", "followUp"), ("deaths", "x")])
            #expect(response.status == .unprocessableContent)
            #expect(String(buffer: response.body).contains("请填写不小于 0 的整数"))
            response = try await Page.post(client, "/incidents/\(id)/reports", cookie: officer,
                                           [("_csrf", csrf), ("version", "1"), ("kind", "followUp"), ("deaths", "10"), ("developments", "又发现 7 名遇难者")])
            #expect(response.status == .seeOther)
            page = try await Page.page(client, "/incidents/\(id)", cookie: officer).html
            #expect(page.contains(#"<span class="badge grade-2" id="grade">重大</span>"#))
            #expect(page.contains("（5.1.1）"))
            #expect(page.contains("<strong>续报</strong>"))
            let reports = try #require(try object(try await get(client, "/api/v1/incidents/\(id)/reports"))["items"] as? [[String: Any]])
            #expect(reports.count == 2)
            #expect((reports[1]["fields"] as? [String: Any])?["developments"] as? String == "又发现 7 名遇难者")
            // A text-only 续报 lists no figures (not the incident's).
            response = try await Page.post(client, "/incidents/\(id)/reports", cookie: officer,
                                           [("_csrf", csrf), ("version", "2"), ("kind", "followUp"), ("results", "已搜救 5 人")])
            #expect(response.status == .seeOther)
            page = try await Page.page(client, "/incidents/\(id)", cookie: officer).html
            #expect(page.contains("<strong>续报</strong> 2026-03-01 02:10 · \(actorName("kunyu-duty-officer"))</li>"))
            // Sent from a page that is behind: refused, and what was typed comes back at the current version.
            response = try await Page.post(client, "/incidents/\(id)/reports", cookie: officer,
                                           [("_csrf", csrf), ("version", "2"), ("kind", "followUp"), ("developments", "现场已搭建临时指挥所")])
            #expect(response.status == .conflict)
            let refused = String(buffer: response.body)
            #expect(refused.contains(#"<details class="card report-form" id="report-followUp" open>"#))
            #expect(refused.contains(">现场已搭建临时指挥所</textarea>"))
            #expect(refused.contains(#"<input type="hidden" name="version" value="3">"#))
            // A viewer is offered no report form, and a forged one is refused.
            let (viewer, _) = try await Page.signIn(client, "kunyu-viewer")
            page = try await Page.page(client, "/incidents/\(id)", cookie: viewer).html
            #expect(!page.contains("report-form-followUp"))
            response = try await Page.post(client, "/incidents/\(id)/reports", cookie: viewer,
                                           [("_csrf", try Page.csrf(in: page)), ("version", "3"), ("kind", "late"), ("deaths", "11")])
            #expect(response.status == .forbidden)
            #expect((try object(try await get(client, "/api/v1/incidents/\(id)/reports"))["items"] as? [Any])?.count == 3)
        }
    }

    @Test func anArchivedIncidentOffersNothingAndSaysSo() async throws {
        try await TestServer.start(.sqlite, accounts: Demo.accounts).test { client in
            let id = try #require(try await create(client)["id"] as? String)
            var version = 1
            for (action, extra) in [("verify", [:]), ("closeWithoutResponse", ["reason": "无需启动响应"]), ("recordEvaluation", ["summary": "评估报告"]), ("archive", [:])] as [(String, [String: Any])] {
                var body = extra
                body["action"] = action
                body["version"] = version
                let response = try await transition(client, id, body, as: "kunyu-commander")
                #expect(response.status == .ok, "\(action): \(String(buffer: response.body))")
                version += 1
            }
            let (commander, _) = try await Page.signIn(client, "kunyu-commander")
            let page = try await Page.page(client, "/incidents/\(id)", cookie: commander).html
            #expect(page.contains(#"<p class="banner" role="status" id="archived">本事故已归档，只读。</p>"#))
            #expect(!page.contains("<form method=\"post\" action=\"/incidents/\(id)"))
            #expect(Page.htmlProblems(page) == [])
        }
    }
}
