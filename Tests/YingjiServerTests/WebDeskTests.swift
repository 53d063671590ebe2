import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YingjiCore
import YingjiServer

/// 值班台 through the router: the form follows the plan, the preview says what the plan makes of
/// the figures, errors stand beside their fields, and a resent form makes one incident.
@Suite struct WebDeskTests {
    typealias Page = WebPageTests

    /// A complete Kunyu 初报 as the desk form sends it (knownAt left empty: now).
    static func kunyuForm(deaths: String = "3", key: String = "desk-key-1", csrf: String, intent: String = "submit") -> [(String, String)] {
        [("_csrf", csrf), ("_key", key), ("jurisdiction", "kunyu"), ("intent", intent),
         ("occurredAt", "2026-03-01T02:00"), ("knownAt", ""), ("category", "fire"),
         ("deaths", deaths), ("missing", "0"), ("seriousInjuries", "2"), ("directLoss", "1200万"),
         ("unit", "昆玉市某化工有限公司"), ("place", "工业园区 3 号罐区"), ("course", "检修时闪爆起火"), ("scope", "罐区"),
         ("rescueStatus", "灭火中"), ("trend", "可控"), ("measures", "疏散 200 人")]
    }

    @Test func theFormHasEveryFieldOfTheJurisdictionsPlanInItsGroups() async throws {
        try await TestServer.start(.sqlite, accounts: Demo.accounts).test { client in
            let (officer, _) = try await Page.signIn(client, "kunyu-duty-officer")
            let (status, html) = try await Page.page(client, "/desk", cookie: officer)
            #expect(status == .ok)
            #expect(Page.htmlProblems(html) == [])
            // Kunyu 5.1.2's own words, each labelling its input, grouped as the paper form is.
            for (id, label) in [("unit", "事故发生单位"), ("place", "地点"), ("course", "简要经过"), ("deaths", "已经造成或者可能造成的死亡人数"),
                                ("directLoss", "直接经济损失"), ("trend", "事故发展趋势"), ("occurredAt", "时间")] {
                #expect(html.contains(#"<label for="initial-\#(id)">\#(label) <span class="req" aria-hidden="true">*</span></label>"#), "\(id)")
            }
            for legend in ["基本情况", "伤亡与损失", "事故经过与处置"] { #expect(html.contains("<legend>\(legend)</legend>")) }
            #expect(html.contains(#"<input type="hidden" name="jurisdiction" value="kunyu">"#))
            #expect(html.contains(#"<option value="fire">火灾事故</option>"#))
            // Lhasa asks for more (4.1): industry, enterprise size, signer, contact.
            let (lhasa, _) = try await Page.signIn(client, "lhasa-duty-officer")
            let lhasaPage = try await Page.page(client, "/desk", cookie: lhasa).html
            for label in ["事故单位所属行业", "企业规模", "签发人", "联系人"] { #expect(lhasaPage.contains(">\(label) <span class=\"req\""), "\(label)") }
            #expect(lhasaPage.contains("<legend>报告信息</legend>"))
            #expect(Page.htmlProblems(lhasaPage) == [])
            // A viewer may not report.
            let (viewer, _) = try await Page.signIn(client, "kunyu-viewer")
            let denied = try await Page.page(client, "/desk", cookie: viewer)
            #expect(denied.status == .forbidden)
            #expect(denied.html.contains(#"id="desk-denied""#))
        }
    }

    @Test func thePreviewNamesGradeClauseLevelSignerAndDeadlines() async throws {
        try await TestServer.start(.sqlite, accounts: Demo.accounts).test { client in
            let (officer, _) = try await Page.signIn(client, "kunyu-duty-officer")
            var fragment = try await Page.page(client, "/desk/preview?jurisdiction=kunyu&deaths=3&seriousInjuries=1&category=fire&knownAt=2026-03-01T02%3A10",
                                               cookie: officer).html
            #expect(fragment.contains(#"<span class="badge grade-3" id="preview-grade">较大</span>"#))
            #expect(fragment.contains(#"<strong id="preview-level">三级响应</strong>"#))
            #expect(fragment.contains("造成3人以上10人以下死亡 <span class=\"source\">（附件1）</span>"))
            // Only what set the grade: one serious injury also matches a 一般 criterion, not shown.
            #expect(!fragment.contains("10人以下重伤"))
            #expect(fragment.contains("决定启动：<strong>师市专项指挥部指挥长</strong>；签发：<strong>师市专项指挥部指挥长</strong> <span class=\"source\">（5.3.2）</span>"))
            // 条例第九条: one hour from when it became known.
            #expect(fragment.contains(#"<strong>1小时内</strong>"#))
            #expect(fragment.contains(#"data-due="2026-03-01T03:10:00+08:00">2026-03-01 03:10</time> <span class="source">（条例第九条）</span>"#))
            // Ten deaths: 重大, and Kunyu 5.1.1's 30-minute report to the 兵团 starts.
            fragment = try await Page.page(client, "/desk/preview?jurisdiction=kunyu&deaths=10&knownAt=2026-03-01T02%3A10", cookie: officer).html
            #expect(fragment.contains(">重大</span>"))
            #expect(fragment.contains("<strong>30分钟内</strong>"))
            #expect(fragment.contains("（5.1.1）"))
            // Nothing typed yet: no grade, and no 以下-only criterion matched.
            fragment = try await Page.page(client, "/desk/preview?jurisdiction=kunyu", cookie: officer).html
            #expect(fragment.contains(">未达到分级标准</span>"))
            #expect(!fragment.contains("preview-level"))
            // Bachu names the lead department by category (2.1.6).
            let (bachu, _) = try await Page.signIn(client, "bachu-duty-officer")
            fragment = try await Page.page(client, "/desk/preview?jurisdiction=bachu&deaths=1&category=%E7%81%AB%E7%81%BE", cookie: bachu).html
            #expect(fragment.contains("<h3>牵头部门</h3>"))
            #expect(fragment.contains("巴楚县消防救援大队 <span class=\"source\">（2.1.6(1)）</span>"))
        }
    }

    @Test(arguments: Engine.all) func errorsStandBesideTheirFieldsAndNothingIsStored(_ engine: Engine) async throws {
        try await TestServer.start(engine, accounts: Demo.accounts).test { client in
            let (officer, _) = try await Page.signIn(client, "kunyu-duty-officer")
            let csrf = try Page.csrf(in: try await Page.page(client, "/desk", cookie: officer).html)
            var form = Self.kunyuForm(deaths: "三", csrf: csrf).filter { $0.0 != "unit" && $0.0 != "trend" }
            form.append(("seriousInjuries", "-1"))
            let response = try await Page.post(client, "/desk", cookie: officer, form)
            #expect(response.status == .unprocessableContent)
            let html = String(buffer: response.body)
            #expect(Page.htmlProblems(html) == [])
            #expect(html.contains(#"<p class="field-error" id="error-initial-deaths">请填写不小于 0 的整数</p>"#))
            #expect(html.contains(#"<p class="field-error" id="error-initial-unit">缺少「事故发生单位」（5.1.2）</p>"#))
            #expect(html.contains(#"<p class="field-error" id="error-initial-trend">缺少「事故发展趋势」（5.1.2）</p>"#))
            #expect(html.contains(#"id="desk-errors""#))
            // What was typed comes back; the same form key, so fixing and resending makes one incident.
            #expect(html.contains(#"value="工业园区 3 号罐区""#))
            #expect(html.contains(#"<input type="hidden" name="_key" value="desk-key-1">"#))
            #expect(try object(try await get(client, "/api/v1/incidents"))["items"] as? [Any] != nil)
            #expect((try object(try await get(client, "/api/v1/incidents"))["items"] as? [Any])?.count == 0)
            // A time in the future beyond the skew is refused beside its field.
            let future = try await Page.post(client, "/desk", cookie: officer,
                                             Self.kunyuForm(csrf: csrf).map { $0.0 == "knownAt" ? ("knownAt", "2026-03-01T04:00") : $0 })
            #expect(future.status == .unprocessableContent)
            #expect(String(buffer: future.body).contains(#"id="error-initial-knownAt">获知事故时间不能晚于现在</p>"#))
            #expect((try object(try await get(client, "/api/v1/incidents"))["items"] as? [Any])?.count == 0)
        }
    }

    @Test(arguments: Engine.all) func aResentFormMakesOneIncidentAndPreviewStoresNothing(_ engine: Engine) async throws {
        try await TestServer.start(engine, accounts: Demo.accounts).test { client in
            let (officer, _) = try await Page.signIn(client, "kunyu-duty-officer")
            let csrf = try Page.csrf(in: try await Page.page(client, "/desk", cookie: officer).html)
            // 预览 without JavaScript: the page again with the preview, nothing stored.
            let preview = try await Page.post(client, "/desk", cookie: officer, Self.kunyuForm(csrf: csrf, intent: "preview"))
            #expect(preview.status == .ok)
            #expect(String(buffer: preview.body).contains(#"<span class="badge grade-3" id="preview-grade">较大</span>"#))
            #expect((try object(try await get(client, "/api/v1/incidents"))["items"] as? [Any])?.count == 0)
            let first = try await Page.post(client, "/desk", cookie: officer, Self.kunyuForm(csrf: csrf))
            #expect(first.status == .seeOther)
            let location = try #require(first.headers[.location])
            #expect(location.hasPrefix("/incidents/"))
            let again = try await Page.post(client, "/desk", cookie: officer, Self.kunyuForm(csrf: csrf))
            #expect(again.status == .seeOther)
            #expect(again.headers[.location] == location)
            let items = try #require(try object(try await get(client, "/api/v1/incidents"))["items"] as? [[String: Any]])
            #expect(items.count == 1)
            let id = String(location.dropFirst("/incidents/".count))
            let detail = try object(try await get(client, "/api/v1/incidents/\(id)"))
            #expect((detail["figures"] as? [String: Any])?["directLoss"] as? Int == 12_000_000)
            #expect(detail["occurredAt"] as? String == "2026-03-01T02:00:00+08:00")
            #expect(detail["knownAt"] as? String == Timestamp.format(t0))
            #expect((detail["grade"] as? [String: Any])?["grade"] as? Int == 3)
            // The incident page shows the grade and the clocks that started.
            let page = try await Page.page(client, location, cookie: officer).html
            #expect(page.contains(#"<span class="badge grade-3" id="grade">较大</span>"#))
            #expect(page.contains(#"data-due="2026-03-01T03:10:00+08:00""#))
            // The form without its CSRF field is refused and stores nothing.
            let forged = try await Page.post(client, "/desk", cookie: officer, Self.kunyuForm(key: "desk-key-2", csrf: "").filter { $0.0 != "_csrf" })
            #expect(forged.status == .forbidden)
            #expect((try object(try await get(client, "/api/v1/incidents"))["items"] as? [Any])?.count == 1)
        }
    }

    @Test func aSentFormChangedAndSentAgainGetsANewKeyAndALongReportFits() async throws {
        try await TestServer.start(.sqlite, accounts: Demo.accounts).test { client in
            let (officer, _) = try await Page.signIn(client, "kunyu-duty-officer")
            let csrf = try Page.csrf(in: try await Page.page(client, "/desk", cookie: officer).html)
            #expect(try await Page.post(client, "/desk", cookie: officer, Self.kunyuForm(csrf: csrf)).status == .seeOther)
            // Back, another figure, the same key: not a replay and not a silent second incident.
            let changed = try await Page.post(client, "/desk", cookie: officer, Self.kunyuForm(deaths: "4", csrf: csrf))
            #expect(changed.status == .conflict)
            let html = String(buffer: changed.body)
            #expect(html.contains("这份表单已经提交过"))
            #expect(!html.contains(#"name="_key" value="desk-key-1""#))
            #expect(html.contains(#"value="4""#))
            // A 初报 of 7,000 Chinese characters is some 63 KB form-encoded on one field: it fits.
            let long = String(repeating: "火", count: 7_000)
            let form = Self.kunyuForm(key: "desk-key-long", csrf: csrf).map { $0.0 == "course" ? ("course", long) : $0 }
                + [("measures", String(repeating: "疏", count: 3_000))]
            let response = try await Page.post(client, "/desk", cookie: officer, form)
            #expect(response.status == .seeOther)
            #expect((try object(try await get(client, "/api/v1/incidents"))["items"] as? [Any])?.count == 2)
        }
    }

    @Test func anEnterpriseReporterReportsForItsOwnUnit() async throws {
        try await TestServer.start(.sqlite, accounts: Demo.accounts).test { client in
            let (reporter, _) = try await Page.signIn(client, "kunyu-enterprise-reporter")
            let csrf = try Page.csrf(in: try await Page.page(client, "/desk", cookie: reporter).html)
            let response = try await Page.post(client, "/desk", cookie: reporter, Self.kunyuForm(csrf: csrf))
            #expect(response.status == .seeOther)
            let id = String(try #require(response.headers[.location]).dropFirst("/incidents/".count))
            let detail = try object(try await get(client, "/api/v1/incidents/\(id)"))
            #expect(detail["organisationID"] as? String == "kunyu-chem")
        }
    }
}
