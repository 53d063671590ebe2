import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YingjiCore
import YingjiServer

/// 预警 pages through the router: drafting from the plan's own levels, channels and audiences;
/// the approval queue shows the warning only to the body the plan names; the public list shows
/// it once published, without an account; a refused form keeps what was typed.
@Suite struct WebWarningTests {
    typealias Page = WebPageTests

    @Test(arguments: Engine.all) func aWarningIsDraftedApprovedInTheQueueAndShownToThePublic(_ engine: Engine) async throws {
        try await TestServer.start(engine, accounts: Demo.accounts).test { client in
            let (office, _) = try await Page.signIn(client, "lhasa-hq-office")
            var page = try await Page.page(client, "/warnings/new", cookie: office).html
            #expect(Page.htmlProblems(page) == [])
            // Lhasa 3.2's levels and its one channel, from the plan.
            #expect(page.contains(#"<option value="3">黄色（3级）</option>"#) && page.contains(#"value="市气象局预警发布平台""#))
            let csrf = try Page.csrf(in: page)
            var form: [(String, String)] = [
                ("_csrf", csrf), ("key", "form-1"), ("jurisdiction", "lhasa"), ("level", "3"), ("category", "危险化学品事故"),
                ("startsAt", "2026-03-01T02:30"), ("areaDescription", "经开区化工园及周边 2 公里"), ("areaPolygon", "29.64,91.02 29.66,91.02 29.66,91.06 95,91.06"),
                ("warnings", "周边人员避免进入下风向区域"), ("measures", "停止装卸作业"), ("hotline", "0891-6169012"), ("channel", "市气象局预警发布平台"),
            ]
            // A bad point: refused naming the field, with everything typed still in the form, and nothing stored.
            var response = try await Page.post(client, "/warnings", cookie: office, form)
            #expect(response.status == .unprocessableContent)
            page = String(buffer: response.body)
            #expect(page.contains(#"id="form-error""#) && page.contains("area.polygon"))
            #expect(page.contains(#"value="周边人员避免进入下风向区域""#) == false && page.contains(">周边人员避免进入下风向区域</textarea>"))
            #expect(page.contains(#"<option value="3" selected>黄色（3级）</option>"#))
            #expect(page.contains(#"value="市气象局预警发布平台" checked"#))
            #expect(try object(try await get(client, "/api/v1/warnings", as: "lhasa-viewer"))["count"] as? Int == 0)
            form[7] = ("areaPolygon", "29.64,91.02 29.66,91.02 29.66,91.06")
            response = try await Page.post(client, "/warnings", cookie: office, form)
            #expect(response.status == .seeOther)
            let location = try #require(response.headers[.location])
            // Sent twice (a double click): the same warning.
            #expect(try await Page.post(client, "/warnings", cookie: office, form).headers[.location] == location)
            let id = String(location.dropFirst("/warnings/".count))
            page = try await Page.page(client, location, cookie: office).html
            #expect(Page.htmlProblems(page) == [])
            #expect(page.contains("黄色预警由市应急总指挥部审定（3.2(2)）"))
            response = try await Page.post(client, "\(location)/moves", cookie: office, [("_csrf", csrf), ("version", "1"), ("move", "submit")])
            #expect(response.status == .seeOther)

            // The queue: the general HQ sees it to approve; the city HQ does not (yellow is not its to approve).
            let (general, _) = try await Page.signIn(client, "lhasa-general-commander")
            let (commander, _) = try await Page.signIn(client, "lhasa-commander")
            let queue = { (html: String) -> String in
                String(html.split(separator: #"id="section-queue""#).last?.split(separator: "</section>").first ?? "")
            }
            #expect(queue(try await Page.page(client, "/warnings", cookie: general).html).contains("/warnings/\(id)"))
            #expect(!queue(try await Page.page(client, "/warnings", cookie: commander).html).contains("/warnings/\(id)"))
            page = try await Page.page(client, location, cookie: commander).html
            #expect(!page.contains(#"id="move-approve""#))
            // Forged by hand, the approval is still refused with the clause.
            let commanderCSRF = try Page.csrf(in: page)
            response = try await Page.post(client, "\(location)/moves", cookie: commander, [("_csrf", commanderCSRF), ("version", "2"), ("move", "approve"), ("post", "hq")])
            #expect(response.status == .forbidden)
            #expect(String(buffer: response.body).contains("3.2(2)"))
            page = try await Page.page(client, location, cookie: general).html
            #expect(page.contains(#"id="move-approve""#))
            response = try await Page.post(client, "\(location)/moves", cookie: general, [("_csrf", try Page.csrf(in: page)), ("version", "2"), ("move", "approve"), ("post", "general-hq")])
            #expect(response.status == .seeOther)
            // Not in public until published.
            #expect(try await client.execute(uri: "/public/warnings", method: .get).body.readableBytes > 0)
            #expect(!String(buffer: try await client.execute(uri: "/public/warnings", method: .get).body).contains(id))
            page = try await Page.page(client, location, cookie: commander).html
            #expect(page.contains(#"id="move-publish""#))
            response = try await Page.post(client, "\(location)/moves", cookie: commander, [("_csrf", commanderCSRF), ("version", "3"), ("move", "publish"), ("post", "hq")])
            #expect(response.status == .seeOther)
            page = try await Page.page(client, location, cookie: office).html
            // Lhasa 3.3: seven measures for yellow, each with a form for the desk.
            #expect(page.components(separatedBy: #"<li id="action-"#).count - 1 == 7)
            #expect(page.contains("转移、疏散或者撤离易受生产安全事故危害的人员并予以妥善安置，转移重要财产。"))
            #expect(page.contains(#"id="cap-link""#))
            let open = try await client.execute(uri: "/public/warnings", method: .get)
            #expect(open.status == .ok)
            let publicPage = String(buffer: open.body)
            #expect(Page.htmlProblems(publicPage) == [])
            #expect(publicPage.contains(#"<article class="card" id="\#(id)">"#) && publicPage.contains("拉萨市黄色预警：危险化学品事故"))
            #expect(publicPage.contains("0891-6169012"))
            // Only the issuer lifts it: the general HQ's page offers no lift.
            #expect(!(try await Page.page(client, location, cookie: general).html).contains(#"id="move-lift""#))
            #expect(try await Page.page(client, location, cookie: commander).html.contains(#"id="move-lift""#))
        }
    }
    /// A warning in force that turns into an accident: the desk opens from the warning with its
    /// category and area filled in, and the report made is linked to the warning.
    @Test func aReportStartedFromAWarningIsFilledFromItAndLinkedToIt() async throws {
        try await TestServer.start(.sqlite, accounts: Demo.accounts).test { client in
            let api = WarningAPITests()
            let id = try await api.drafted(client, "kunyu", level: 3, as: "kunyu-duty-officer")
            _ = try await api.steps(client, id, from: 1, [(["move": "submit"], "kunyu-duty-officer"), (["move": "approve"], "kunyu-principal"),
                                                          (["move": "publish"], "kunyu-principal")])
            let (officer, _) = try await Page.signIn(client, "kunyu-duty-officer")
            var page = try await Page.page(client, "/warnings/\(id)", cookie: officer).html
            #expect(page.contains(#"<a class="button" id="report-from-warning" href="/desk?jurisdiction=kunyu&amp;warning=\#(id)">据此上报事故（初报）</a>"#))
            // A viewer may not report: no button.
            let (viewer, _) = try await Page.signIn(client, "kunyu-viewer")
            #expect(!(try await Page.page(client, "/warnings/\(id)", cookie: viewer).html).contains("report-from-warning"))
            page = try await Page.page(client, "/desk?jurisdiction=kunyu&warning=\(id)", cookie: officer).html
            #expect(Page.htmlProblems(page) == [])
            #expect(page.contains(#"<input type="hidden" name="warning" value="\#(id)">"#))
            #expect(page.contains(#"id="from-warning""#) && page.contains("第十四师昆玉市"))
            #expect(page.contains(#"value="化工园区及周边 2 公里""#))
            #expect(page.contains(#"<option value="hazardous-chemicals" selected"#))
            #expect(!page.contains(#"id="desk-errors""#))
            // Sent: the incident is made and the warning now points to it, on its chain.
            let csrf = try Page.csrf(in: page)
            let form = WebDeskTests.kunyuForm(csrf: csrf) + [("warning", id)]
            let response = try await Page.post(client, "/desk", cookie: officer, form)
            #expect(response.status == .seeOther)
            let incident = String(try #require(response.headers[.location]).dropFirst("/incidents/".count))
            let warning = try object(try await get(client, "/api/v1/warnings/\(id)", as: "kunyu-duty-officer"))
            #expect(warning["incidentID"] as? String == incident)
            let kinds = ((try object(try await get(client, "/api/v1/warnings/\(id)/timeline", as: "kunyu-duty-officer"))["items"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String }
            #expect(kinds.last == "warning.linked")
            // Linked, the warning offers no second report; an unknown warning leaves a blank desk with a notice.
            #expect(!(try await Page.page(client, "/warnings/\(id)", cookie: officer).html).contains("report-from-warning"))
            let unknown = try await Page.page(client, "/desk?warning=wrn_none", cookie: officer)
            #expect(unknown.status == .notFound)
            #expect(unknown.html.contains("没有这条预警，或您无权查看"))
        }
    }
}
