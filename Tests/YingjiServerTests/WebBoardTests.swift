import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YingjiCore
import YingjiServer

/// The board's filters and charts, the plans pages and the test clock, through the router.
@Suite struct WebBoardTests {
    typealias Page = WebPageTests

    @Test(arguments: Engine.all) func theBoardFiltersAndChartsWhatTheAccountMaySee(_ engine: Engine) async throws {
        try await TestServer.start(engine, accounts: Demo.accounts).test { client in
            let larger = try #require(try await create(client, kunyuReport(deaths: 3))["id"] as? String)
            let major = try #require(try await create(client, kunyuReport(deaths: 10))["id"] as? String)
            let (officer, _) = try await Page.signIn(client, "kunyu-duty-officer")
            var page = try await Page.page(client, "/", cookie: officer).html
            #expect(Page.htmlProblems(page) == [])
            #expect(page.contains(#"<body data-live="board""#))
            #expect(page.contains(#"<tr id="incident-\#(larger)" class="grade-3">"#))
            #expect(page.contains(#"<tr id="incident-\#(major)" class="grade-2">"#))
            // The next deadline counts down: for the 重大 one, Kunyu 5.1.1's 30 minutes from the accident (02:00).
            #expect(page.contains(#"<span class="countdown" data-due="2026-03-01T02:30:00+08:00"></span>"#))
            // Charts: one 较大 and one 重大 on 03-01, two 火灾事故.
            #expect(page.contains(#"data-grade="2" data-count="1""#))
            #expect(page.contains(#"data-grade="3" data-count="1""#))
            #expect(page.contains(#"data-category="火灾事故" data-count="2""#))
            #expect(page.contains("<title>03-01：重大 1，较大 1</title>"))
            // Counted by when each became known: one known at the first instant of the charts'
            // first day (02-16 00:00 China time) is on it; one known a second before is not; the
            // list shows both (they are open).
            let dayStart = try #require(Timestamp.parse("2026-02-16T00:00:00+08:00"))
            let firstDay = try #require(try await create(client, kunyuReport(deaths: 1, knownAt: dayStart))["id"] as? String)
            let older = try #require(try await create(client, kunyuReport(deaths: 1, knownAt: dayStart.addingTimeInterval(-1)))["id"] as? String)
            page = try await Page.page(client, "/", cookie: officer).html
            #expect(page.contains("<title>02-16：一般 1</title>"))
            #expect(!page.contains("<title>02-15："))
            #expect(page.contains("incident-\(firstDay)") && page.contains("incident-\(older)"))
            #expect(page.contains(#"data-category="火灾事故" data-count="3""#))
            // Filters: by grade, by status, only overdue, by jurisdiction (and below).
            page = try await Page.page(client, "/?grade=2", cookie: officer).html
            #expect(page.contains("incident-\(major)") && !page.contains("incident-\(larger)"))
            #expect(page.contains(#"<option value="2" selected>重大</option>"#))
            page = try await Page.page(client, "/?status=responding", cookie: officer).html
            #expect(page.contains(#"id="board-empty""#))
            page = try await Page.page(client, "/?overdue=1", cookie: officer).html
            #expect(page.contains(#"id="board-empty""#))
            page = try await Page.page(client, "/?jurisdiction=kunyu&grade=9&status=nonsense", cookie: officer).html
            #expect(page.contains("incident-\(major)") && page.contains("incident-\(larger)"))
            // Only the jurisdictions the account may see are offered.
            #expect(page.contains(#"<option value="kunyu" selected>"#))
            #expect(!page.contains(#"<option value="bachu""#))
        }
    }

    @Test func thePlansPagesShowEachPlanFromItsFileWithClauses() async throws {
        try await TestServer.start(.sqlite, accounts: Demo.accounts).test { client in
            let (viewer, _) = try await Page.signIn(client, "kunyu-viewer")
            let list = try await Page.page(client, "/plans", cookie: viewer).html
            #expect(Page.htmlProblems(list) == [])
            for id in ["kunyu", "bachu", "lhasa"] { #expect(list.contains(#"<a href="/plans/\#(id)">"#)) }
            for id in ["kunyu", "bachu", "lhasa"] {
                let plan = try planLibrary.load(id)
                let (status, page) = try await Page.page(client, "/plans/\(id)", cookie: viewer)
                #expect(status == .ok)
                #expect(Page.htmlProblems(page) == [], "\(id)")
                #expect(page.contains("<h1>\(plan.name)</h1>"))
                #expect(page.contains("（\(plan.grading.source.clause)）"))
                // Every working group of the plan, with its lead where the plan names one.
                #expect(page.components(separatedBy: #"<section class="card group">"#).count - 1 == plan.command.onSite.groups.count, "\(id)")
                for group in plan.command.onSite.groups {
                    #expect(page.contains("<h3>\(group.name)</h3><p><strong>牵头：</strong>\(group.lead ?? "预案未指定")</p>"), "\(id) \(group.name)")
                }
                for authority in plan.response.levels {
                    #expect(page.contains("<td class=\"source\">\(authority.source.clause)</td>"), "\(id) \(authority.level)")
                }
                for rule in plan.reporting.rules { #expect(page.contains(rule.limitDescription), "\(id) \(rule.id)") }
            }
            #expect(try await Page.page(client, "/plans/nowhere", cookie: viewer).status == .notFound)
        }
    }

    @Test func theTestClockMovesOnlyWhenTheServerWasGivenOne() async throws {
        try await TestServer.start(.sqlite).test { client in
            let response = try await client.execute(uri: "/api/v1/test/clock", method: .post, headers: headers(), body: json(["advanceSeconds": 60]))
            #expect(response.status == .notFound || response.status == .methodNotAllowed)
        }
        let clock = AdjustableClock()
        try await TestServer.start(.sqlite, testClock: clock).test { client in
            let id = try #require(try await create(client, kunyuReport(knownAt: clock.now()))["id"] as? String)
            var response = try await client.execute(uri: "/api/v1/test/clock", method: .post, headers: headers(), body: json(["advanceSeconds": 0]))
            #expect(response.status == .unprocessableContent)
            #expect(try errorField(response).field == "advanceSeconds")
            response = try await client.execute(uri: "/api/v1/test/clock", method: .post, headers: headers(), body: json(["advanceSeconds": 3_660]))
            #expect(response.status == .ok)
            // An hour and a minute on, the 1-hour report (条例第九条) is overdue: the sweep ran with the move.
            let obligations = try #require(try object(try await get(client, "/api/v1/incidents/\(id)"))["obligations"] as? [[String: Any]])
            #expect(obligations.contains { $0["source"] as? String == "条例第九条" && $0["status"] as? String == "overdue" })
        }
    }
}
