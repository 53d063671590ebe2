import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YingjiCore
import YingjiServer

/// The pages through the router: sign-in by form, redirects, CSRF on forms, and HTML that is
/// well-formed with a label for every input. (Real-browser tests: Tests/browser/test_web.py.)
@Suite struct WebPageTests {
    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func formBody(_ values: [(String, String)]) -> ByteBuffer {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return ByteBuffer(string: values.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    static func signIn(_ client: some TestClientProtocol, _ login: String, next: String = "/") async throws -> (cookie: String, response: TestResponse) {
        let response = try await client.execute(uri: "/login", method: .post, headers: form,
                                                body: formBody([("login", login), ("password", Demo.password), ("next", next)]))
        let cookie = String(response.headers[.setCookie]?.split(separator: ";").first ?? "")
        return (cookie, response)
    }

    @Test func pagesSendStrangersToSignInAndBack() async throws {
        try await TestServer.start(.sqlite).test { client in
            var response = try await client.execute(uri: "/?status=open", method: .get)
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/login?next=%2F%3Fstatus%3Dopen")
            response = try await client.execute(uri: "/login?next=%2F", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            let html = String(buffer: response.body)
            #expect(html.contains(#"<label for="login">登录名</label>"#))
            #expect(try Self.problems(html) == [])

            // Wrong password: the form again, the message in Chinese, the login kept.
            response = try await client.execute(uri: "/login", method: .post, headers: Self.form,
                                                body: Self.formBody([("login", "kunyu-duty-officer"), ("password", "Wrong-one-123"), ("next", "/")]))
            #expect(response.status == .unauthorized)
            #expect(String(buffer: response.body).contains(#"<p class="error" role="alert" id="login-error">登录名或密码不正确</p>"#))
            #expect(String(buffer: response.body).contains(#"value="kunyu-duty-officer""#))
            #expect(response.headers[.setCookie] == nil)

            // Right password: back where they were going, never to another site.
            let (cookie, signedIn) = try await Self.signIn(client, "kunyu-duty-officer", next: "/?status=open")
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location] == "/?status=open")
            #expect(signedIn.headers[.setCookie]?.contains("SameSite=Strict") == true)
            for evil in ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "/\u{7f}/evil.example"] {
                #expect(try await Self.signIn(client, "kunyu-viewer", next: evil).response.headers[.location] == "/")
            }
            // The board: who is signed in, where, as what; the incidents this account may see.
            response = try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie])
            #expect(response.status == .ok)
            let board = String(buffer: response.body)
            #expect(board.contains("第十四师昆玉市值班员（演示）（kunyu-duty-officer）"))
            #expect(board.contains(#"<span class="grant">第十四师昆玉市 · 值班员</span>"#))
            #expect(board.contains(#"id="board-empty""#))
            #expect(try Self.problems(board) == [])
        }
    }

    @Test(arguments: Engine.all) func theBoardShowsOnlyWhatTheAccountMaySee(_ engine: Engine) async throws {
        try await TestServer.start(engine, accounts: Demo.accounts).test { client in
            let incident = try await create(client)
            let id = try #require(incident["id"] as? String)
            let (officer, _) = try await Self.signIn(client, "kunyu-duty-officer")
            var board = String(buffer: try await client.execute(uri: "/", method: .get, headers: [.cookie: officer]).body)
            #expect(board.contains(#"<tr id="incident-\#(id)" class="grade-3">"#))
            #expect(board.contains("较大"))
            #expect(board.contains("火灾"))
            #expect(try Self.problems(board) == [])
            let (stranger, _) = try await Self.signIn(client, "bachu-duty-officer")
            board = String(buffer: try await client.execute(uri: "/", method: .get, headers: [.cookie: stranger]).body)
            #expect(!board.contains(id))
            #expect(board.contains(#"id="board-empty""#))
        }
    }

    @Test func formsNeedTheirCSRFFieldAndSignInRefusesOtherSites() async throws {
        try await TestServer.start(.sqlite).test { client in
            let (cookie, _) = try await Self.signIn(client, "kunyu-viewer")
            let page = String(buffer: try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie]).body)
            let csrf = try #require(page.range(of: #"name="_csrf" value="([0-9a-f]{64})""#, options: .regularExpression).map { String(page[$0].dropFirst(20).dropLast()) })
            var headers = Self.form
            headers[.cookie] = cookie
            headers[.referer] = "http://localhost/incidents?status=reported"
            var response = try await client.execute(uri: "/logout", method: .post, headers: headers, body: Self.formBody([("_csrf", tampered(csrf))]))
            #expect(response.status == .forbidden)
            // A page form answers a page, in Chinese, with the way back to where the form was.
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            let refused = String(buffer: response.body)
            #expect(Self.htmlProblems(refused) == [])
            #expect(refused.contains(#"<p id="error-message" class="escalated">页面已过期（可能已重新登录或在别处退出），本次提交没有保存。"#))
            #expect(refused.contains(#"<a id="error-back" href="/incidents?status=reported">"#))
            #expect(refused.contains("auth.csrf"))
            // Still signed in, and shown so.
            #expect(refused.contains(#"<span class="who-name" id="who-name">"#) && refused.contains("（kunyu-viewer）</span>"))
            // The way back keeps the path as the browser sent it (an encoded `?` stays a character of the path).
            headers[.referer] = "http://localhost/incidents/a%3Fb"
            response = try await client.execute(uri: "/logout", method: .post, headers: headers, body: Self.formBody([("_csrf", "")]))
            #expect(String(buffer: response.body).contains(#"href="/incidents/a%3Fb""#))
            #expect(try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie]).status == .ok)
            // A referer on another site gives no way back there.
            headers[.referer] = "https://evil.example/incidents"
            response = try await client.execute(uri: "/logout", method: .post, headers: headers, body: Self.formBody([("_csrf", "")]))
            #expect(response.status == .forbidden)
            #expect(!String(buffer: response.body).contains("error-back"))
            headers[.referer] = nil
            // The API keeps its JSON errors.
            var api = headers
            api[.contentType] = "application/json"
            response = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: api, body: json(kunyuReport()))
            #expect(response.status == .forbidden)
            #expect(try errorField(response).code == "auth.csrf")
            response = try await client.execute(uri: "/logout", method: .post, headers: headers, body: Self.formBody([("_csrf", csrf)]))
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/login")
            #expect(try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie]).status == .seeOther)

            // A sign-in form posted from another site is refused and signs no one in.
            var foreign = Self.form
            foreign[.origin] = "https://evil.example"
            response = try await client.execute(uri: "/login", method: .post, headers: foreign,
                                                body: Self.formBody([("login", "kunyu-viewer"), ("password", Demo.password)]))
            #expect(response.status == .forbidden)
            #expect(response.headers[.setCookie] == nil)
            #expect(try await client.execute(uri: "/static/site.css", method: .get).headers[.contentType] == "text/css; charset=utf-8")
        }
    }

    @Test(arguments: Engine.all) func theIncidentPageShowsClocksAndTakesTheFulfilmentForm(_ engine: Engine) async throws {
        try await TestServer.start(engine, accounts: Demo.accounts).test { client in
            let incident = try await create(client)
            let id = try #require(incident["id"] as? String)
            let obligations = try #require(incident["obligations"] as? [[String: Any]])
            let first = try #require(obligations.first { $0["status"] as? String == "pending" })
            let obligationID = try #require(first["id"] as? String)
            let (officer, _) = try await Self.signIn(client, "kunyu-duty-officer")
            var response = try await client.execute(uri: "/incidents/\(id)", method: .get, headers: [.cookie: officer])
            #expect(response.status == .ok)
            var page = String(buffer: response.body)
            let pageProblems = try Self.problems(page)
            #expect(pageProblems == [])
            #expect(page.contains(#"<tr id="obligation-\#(obligationID)" class="status-pending">"#))
            #expect(page.contains(#"action="/incidents/\#(id)/obligations/\#(obligationID)/fulfil""#))
            #expect(page.contains(#"id="timeline-table""#))
            #expect(page.contains("incident.reported"))
            let csrf = try #require(page.range(of: #"name="_csrf" value="([0-9a-f]{64})""#, options: .regularExpression).map { String(page[$0].dropFirst(20).dropLast()) })
            var headers = Self.form
            headers[.cookie] = officer
            // No reference: the page again with the reason; nothing stored.
            response = try await client.execute(uri: "/incidents/\(id)/obligations/\(obligationID)/fulfil", method: .post, headers: headers,
                                                body: Self.formBody([("_csrf", csrf), ("channel", "phone"), ("reference", " "), ("version", "1")]))
            #expect(response.status == .unprocessableContent)
            #expect(String(buffer: response.body).contains("请填写凭据"))
            response = try await client.execute(uri: "/incidents/\(id)/obligations/\(obligationID)/fulfil", method: .post, headers: headers,
                                                body: Self.formBody([("_csrf", csrf), ("channel", "phone"), ("reference", "电话记录 0301-07"), ("version", "1")]))
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/incidents/\(id)#obligation-\(obligationID)")
            page = String(buffer: try await client.execute(uri: "/incidents/\(id)", method: .get, headers: [.cookie: officer]).body)
            #expect(page.contains(#"<tr id="obligation-\#(obligationID)" class="status-fulfilled">"#))
            #expect(page.contains("电话记录 0301-07"))
            #expect(page.contains("第十四师昆玉市值班员（演示）（kunyu-duty-officer）"))
            let detail = try object(try await get(client, "/api/v1/incidents/\(id)"))
            #expect(detail["version"] as? Int == 2)

            // A press officer sees the clocks but neither forms nor the record; Bachu sees nothing.
            let (press, _) = try await Self.signIn(client, "kunyu-press-officer")
            page = String(buffer: try await client.execute(uri: "/incidents/\(id)", method: .get, headers: [.cookie: press]).body)
            #expect(page.contains(#"id="obligation-table""#))
            #expect(!page.contains("/fulfil\""))
            #expect(!page.contains(#"id="timeline-table""#))
            let (stranger, _) = try await Self.signIn(client, "bachu-duty-officer")
            response = try await client.execute(uri: "/incidents/\(id)", method: .get, headers: [.cookie: stranger])
            #expect(response.status == .notFound)
            #expect(String(buffer: response.body).contains(#"id="not-found""#))
            #expect(!String(buffer: response.body).contains(id))
            // A forged form post by an account that may not fulfil: refused, nothing stored.
            let (viewer, _) = try await Self.signIn(client, "kunyu-viewer")
            let viewerPage = String(buffer: try await client.execute(uri: "/", method: .get, headers: [.cookie: viewer]).body)
            let viewerCSRF = try #require(viewerPage.range(of: #"name="_csrf" value="([0-9a-f]{64})""#, options: .regularExpression).map { String(viewerPage[$0].dropFirst(20).dropLast()) })
            headers[.cookie] = viewer
            let second = try #require(obligations.first { $0["status"] as? String == "pending" && $0["id"] as? String != obligationID }?["id"] as? String)
            response = try await client.execute(uri: "/incidents/\(id)/obligations/\(second)/fulfil", method: .post, headers: headers,
                                                body: Self.formBody([("_csrf", viewerCSRF), ("channel", "phone"), ("reference", "伪造"), ("version", "2")]))
            #expect(response.status == .forbidden)
            #expect(try object(try await get(client, "/api/v1/incidents/\(id)"))["version"] as? Int == 2)
        }
    }

    @Test(arguments: Engine.all) func theOverduePageListsWhatIsLateForWhoMaySeeIt(_ engine: Engine) async throws {
        let clock = TestClock(t0)
        let running = try await TestServer.start(engine, clock: clock, accounts: Demo.accounts)
        try await running.test { client in
            let id = try #require(try await create(client)["id"] as? String)
            let (officer, _) = try await Self.signIn(client, "kunyu-duty-officer")
            var page = String(buffer: try await client.execute(uri: "/overdue", method: .get, headers: [.cookie: officer]).body)
            #expect(page.contains(#"id="overdue-empty""#))
            // 61 minutes after the accident became known, the 1-hour report (条例第九条) is overdue.
            clock.set(at(61))
            try await running.server.sweep()
            page = String(buffer: try await client.execute(uri: "/overdue", method: .get, headers: [.cookie: officer]).body)
            let pageProblems = try Self.problems(page)
            #expect(pageProblems == [])
            #expect(page.contains(#"href="/incidents/\#(id)#obligation-"#))
            #expect(page.contains("条例第九条"))
            #expect(page.contains("<td class=\"state\">1 分钟</td>"))
            clock.set(at(125))
            page = String(buffer: try await client.execute(uri: "/overdue", method: .get, headers: [.cookie: officer]).body)
            #expect(page.contains("<td class=\"state\">1 小时 5 分钟</td>"))
            let (stranger, _) = try await Self.signIn(client, "bachu-duty-officer")
            page = String(buffer: try await client.execute(uri: "/overdue", method: .get, headers: [.cookie: stranger]).body)
            #expect(page.contains(#"id="overdue-empty""#))
            #expect(!page.contains(id))
        }
    }

    /// What is wrong with a page: unclosed or stray tags, inputs without a label, an id used twice.
    static func problems(_ html: String) throws -> [String] {
        let void: Set<String> = ["meta", "link", "input", "br", "img", "hr", "source", "col", "wbr"]
        // `<time>` in a row and `<code>` are ordinary elements; only void ones have no end tag.
        var problems: [String] = []
        var open: [String] = []
        let tag = try Regex(#"<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>"#)
        var labelled: Set<String> = []
        var inputs: [String] = []
        var ids: [String: Int] = [:]
        for match in html.matches(of: tag) {
            let closing = match.output[1].substring == "/"
            let name = String(match.output[2].substring ?? "").lowercased()
            let attributes = String(match.output[3].substring ?? "")
            if name == "label", let target = attributes.firstMatch(of: /for="([^"]+)"/) { labelled.insert(String(target.output.1)) }
            if !closing, let id = attributes.firstMatch(of: /\sid="([^"]+)"/) { ids[String(id.output.1), default: 0] += 1 }
            if !closing, name == "input" || name == "select" || name == "textarea", !attributes.contains(#"type="hidden""#) {
                inputs.append(attributes.firstMatch(of: /id="([^"]+)"/).map { String($0.output.1) } ?? "(no id)")
            }
            // Void elements, and SVG's self-closed ones (`<rect …/>`), have no end tag.
            if void.contains(name) || attributes.hasSuffix("/") { continue }
            if closing {
                guard open.last == name else { problems.append("</\(name)> closes <\(open.last ?? "nothing")>"); continue }
                open.removeLast()
            } else {
                open.append(name)
            }
        }
        problems += open.map { "<\($0)> never closed" }
        problems += inputs.filter { !labelled.contains($0) }.map { "input \($0) has no label" }
        problems += ids.filter { $0.value > 1 }.keys.sorted().map { "id \($0) used \(ids[$0] ?? 0) times" }
        return problems
    }

    /// `problems`, for `#expect` to print (it cannot show the values of a `try` expression).
    static func htmlProblems(_ html: String) -> [String] {
        (try? problems(html)) ?? ["the checker's pattern did not compile"]
    }

    /// The CSRF token of the signed-in session, as the page's forms carry it.
    static func csrf(in page: String) throws -> String {
        try #require(page.range(of: #"name="_csrf" value="([0-9a-f]{64})""#, options: .regularExpression).map { String(page[$0].dropFirst(20).dropLast()) })
    }

    /// A signed-in page as text.
    static func page(_ client: some TestClientProtocol, _ uri: String, cookie: String) async throws -> (status: HTTPResponse.Status, html: String) {
        let response = try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie])
        return (response.status, String(buffer: response.body))
    }

    /// Posts a form as the signed-in browser would.
    static func post(_ client: some TestClientProtocol, _ uri: String, cookie: String, _ values: [(String, String)]) async throws -> TestResponse {
        var headers = form
        headers[.cookie] = cookie
        return try await client.execute(uri: uri, method: .post, headers: headers, body: formBody(values))
    }
}
