import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YingjiCore
import YingjiPlans
@testable import YingjiServer

/// Response authority per seed plan: each level is started only by the account role the plan's
/// posts name; everyone else gets 403 quoting the clause.
@Suite struct ResponseAuthorityTests {
    /// Who may start each level, as the plans say (Kunyu 5.3.2, Bachu 3.4, Lhasa 4.3.3 and the
    /// posts' `holders:`); the same table AuthorityHolderTests reads from the plan files.
    static let starters: [String: [Int: Set<UserRole>]] = [
        "kunyu": [1: [.principal], 2: [.principal], 3: [.commander], 4: [.deputyCommander]],
        "bachu": [1: [.principal], 2: [.principal], 3: [.generalCommander], 4: [.principal, .generalCommander]],
        "lhasa": [1: [.generalCommander], 2: [.generalCommander], 3: [.commander], 4: [.deputyCommander]],
    ]
    static let leaders: [UserRole] = [.principal, .generalCommander, .commander, .deputyCommander, .dutyLeader, .hqOffice]

    @Test(arguments: Engine.all) func eachLevelOnlyByThePlansRole(_ engine: Engine) async throws {
        try await TestServer.start(engine, accounts: Demo.accounts).test { client in
            for (jurisdiction, levels) in Self.starters.sorted(by: { $0.key < $1.key }) {
                let plan = try planLibrary.load(jurisdiction)
                for (level, allowed) in levels.sorted(by: { $0.key < $1.key }) {
                    let responseLevel = try #require(ResponseLevel(level))
                    let authority = try #require(plan.response.authority(for: responseLevel))
                    let incident = try await create(client, AccessMatrixTests.report(jurisdiction: jurisdiction, plan: plan), as: "\(jurisdiction)-duty-officer")
                    let id = try #require(incident["id"] as? String)
                    var response = try await transition(client, id, ["action": "verify", "version": 1], as: "\(jurisdiction)-duty-officer")
                    #expect(response.status == .ok)
                    let body: [String: Any] = ["action": "startResponse", "level": level, "version": 2, "precondition": "已电话请示地委、行署同意"]
                    for role in Self.leaders where !allowed.contains(role) {
                        response = try await transition(client, id, body, as: "\(jurisdiction)-\(role.rawValue)")
                        #expect(response.status == .forbidden, "\(jurisdiction) level \(level) by \(role)")
                        let message = try errorField(response).message ?? ""
                        #expect(message.contains(authority.source.clause), "\(jurisdiction) level \(level) by \(role): \(message)")
                    }
                    // A role of another jurisdiction never acts for this plan's posts.
                    let stranger = jurisdiction == "kunyu" ? "lhasa" : "kunyu"
                    response = try await transition(client, id, body, as: "\(stranger)-\(allowed.sorted().first!.rawValue)")
                    #expect(response.status == .notFound)
                    // The level above sees the incident but holds none of this plan's posts.
                    let parent = try #require(Demo.jurisdictions.first { $0.id == jurisdiction }?.parentID)
                    response = try await transition(client, id, body, as: "\(parent)-commander")
                    #expect(response.status == .forbidden)
                    #expect(try errorField(response).code == "response.not_authorised")
                    let starter = "\(jurisdiction)-\(allowed.sorted().first!.rawValue)"
                    response = try await transition(client, id, body, as: starter)
                    #expect(response.status == .ok, "\(jurisdiction) level \(level) by \(starter): \(String(buffer: response.body))")
                    let started = try #require(try object(response)["response"] as? [String: Any])
                    #expect(authority.decides.contains(started["decidedBy"] as? String ?? ""))
                    #expect(authority.signs.contains(started["signedBy"] as? String ?? ""))
                    let timeline = try object(try await get(client, "/api/v1/incidents/\(id)/timeline", as: starter))
                    let entry = try #require((timeline["items"] as? [[String: Any]])?.last { $0["kind"] as? String == "response.started" })
                    #expect(entry["actor"] as? String == actorName(starter))
                }
            }
        }
    }
}

/// Sessions, CSRF, throttling and tokens, through the router.
@Suite struct SessionCookieTests {
    /// The session cookie is read as Hummingbird reads cookies, whatever else the headers hold.
    @Test func theSessionCookieIsReadAsHummingbirdReadsIt() {
        let cases: [[String]] = [
            [], ["yingji_session=abc"], ["a=1; yingji_session=abc; b=2"], ["a=1;yingji_session=abc"], ["  yingji_session=a=b=c"],
            ["yingji_session="], ["yingji_session=; yingji_session=later"], ["yingji_session"], ["yingji_session==abc"], ["yingji_session=="],
            ["yingji_session=a==b"], ["=yingji_session=x"], ["x_yingji_session=1; yingji_session=2"], ["yingji_session =1"],
            ["yingji_session=first", "yingji_session=second"], ["a=1", "b=2; yingji_session=third"], [";;; yingji_session=\"quoted\";"],
            ["\tyingji_session=tab"], ["YINGJI_SESSION=upper"], ["a=1"], ["yingji_session=中文; 其它=值"],
            // Where reading by Character and by byte would differ: Unicode spaces, marks joined to a separator.
            ["\u{A0}yingji_session=x"], ["\u{3000}yingji_session=x"], ["yingji_session=abc;\u{301}d"], ["yingji_session==\u{301}x"],
            ["yingji_session=\u{301}x"], ["a=1; \u{301}yingji_session=x"], ["a=1", "\u{85}yingji_session=y"], ["yingji_session=ok\r\n; b=2"],
        ]
        for headers in cases {
            let expected = Cookies(from: headers)[AuthMiddleware.sessionCookie]?.value
            #expect(AuthMiddleware.cookie(AuthMiddleware.sessionCookie, in: headers) == expected, "\(headers)")
        }
        #expect(AuthMiddleware.cookie(AuthMiddleware.sessionCookie, in: ["a=1; yingji_session=abc; b=2"]) == "abc")
        #expect(AuthMiddleware.cookie(AuthMiddleware.sessionCookie, in: ["yingji_session=first", "yingji_session=second"]) == "first")
        #expect(AuthMiddleware.cookie(AuthMiddleware.sessionCookie, in: ["yingji_session==abc"]) == "abc")
    }
}

@Suite struct SessionTests {
    static func login(_ client: some TestClientProtocol, _ login: String, password: String = Demo.password, cookie: String? = nil,
                      extra: HTTPFields = [:]) async throws -> TestResponse {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let cookie { fields[.cookie] = cookie }
        fields.append(contentsOf: extra)
        return try await client.execute(uri: "/api/v1/session", method: .post, headers: fields, body: json(["login": login, "password": password]))
    }

    /// `yingji_session=<secret>` from a login answer.
    static func sessionCookie(_ response: TestResponse) throws -> String {
        let header = try #require(response.headers[.setCookie])
        return String(try #require(header.split(separator: ";").first))
    }

    static func sessionHeaders(_ cookie: String, csrf: String?) -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json", .cookie: cookie]
        if let csrf { fields[HTTPField.Name("X-CSRF-Token")!] = csrf }
        return fields
    }

    @Test func loginSetsAStrictHttpOnlyCookieAndANewIDEachTime() async throws {
        try await TestServer.start(.sqlite).test { client in
            var response = try await Self.login(client, "kunyu-duty-officer", password: "wrong-password-1")
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="yingji""#)
            #expect(try errorField(response).message == "登录名或密码不正确")
            // Unknown login: the same answer, so logins cannot be probed.
            let unknown = try await Self.login(client, "nobody-here")
            #expect(unknown.status == .unauthorized)
            #expect(String(buffer: unknown.body) == String(buffer: response.body))

            // A session id planted before login (fixation) is ignored and replaced.
            let planted = "yingji_session=" + String(repeating: "ab", count: 32)
            response = try await Self.login(client, "kunyu-duty-officer", cookie: planted)
            #expect(response.status == .created)
            let header = try #require(response.headers[.setCookie])
            #expect(header.contains("HttpOnly") && header.contains("SameSite=Strict") && header.contains("Path=/"))
            #expect(!header.contains("Secure"))
            let cookie = try Self.sessionCookie(response)
            #expect(cookie != planted)
            let body = try object(response)
            #expect((body["user"] as? [String: Any])?["login"] as? String == "kunyu-duty-officer")
            let csrf = try #require(body["csrfToken"] as? String)
            #expect(try await client.execute(uri: "/api/v1/session", method: .get, headers: [.cookie: planted]).status == .unauthorized)
            let again = try Self.sessionCookie(try await Self.login(client, "kunyu-duty-officer"))
            #expect(again != cookie)
            // Both sessions work until ended; behind TLS the cookie is Secure.
            #expect(try await client.execute(uri: "/api/v1/session", method: .get, headers: [.cookie: cookie]).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/session", method: .get, headers: [.cookie: again]).status == .ok)
            let secure = try await Self.login(client, "kunyu-duty-officer", extra: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
            #expect(secure.headers[.setCookie]?.contains("Secure") == true)
            #expect(!csrf.isEmpty)
        }
    }

    @Test(arguments: Engine.all) func csrfIsRequiredOnEveryUnsafeSessionRequestAndLogoutEndsTheSession(_ engine: Engine) async throws {
        try await TestServer.start(engine).test { client in
            let login = try await Self.login(client, "kunyu-duty-officer")
            let cookie = try Self.sessionCookie(login)
            let csrf = try #require(try object(login)["csrfToken"] as? String)
            for token in [nil, tampered(csrf), csrf + "0"] as [String?] {
                let refused = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: Self.sessionHeaders(cookie, csrf: token), body: json(kunyuReport()))
                #expect(refused.status == .forbidden)
                #expect(try errorField(refused).code == "auth.csrf")
            }
            #expect(try object(try await client.execute(uri: "/api/v1/incidents", method: .get, headers: Self.sessionHeaders(cookie, csrf: nil)))["items"] as? [Any] != nil)
            let listed = try object(try await get(client, "/api/v1/incidents"))
            #expect((listed["items"] as? [Any])?.isEmpty == true, "a refused request stored something")
            let created = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: Self.sessionHeaders(cookie, csrf: csrf), body: json(kunyuReport()))
            #expect(created.status == .created)
            #expect((try object(created)["reports"] as? [[String: Any]])?.first?["actor"] as? String == actorName("kunyu-duty-officer"))

            // Logout needs the CSRF token too; afterwards the cookie is dead and cleared.
            var response = try await client.execute(uri: "/api/v1/session", method: .delete, headers: Self.sessionHeaders(cookie, csrf: nil))
            #expect(response.status == .forbidden)
            response = try await client.execute(uri: "/api/v1/session", method: .delete, headers: Self.sessionHeaders(cookie, csrf: csrf))
            #expect(response.status == .noContent)
            #expect(response.headers[.setCookie]?.contains("Max-Age=0") == true)
            response = try await client.execute(uri: "/api/v1/incidents", method: .get, headers: Self.sessionHeaders(cookie, csrf: nil))
            #expect(response.status == .unauthorized)
            #expect(try errorField(response).code == "auth.session_expired")
        }
    }

    @Test func sessionsExpireWhenIdleAndAfterTheirLifetime() async throws {
        let clock = TestClock(t0)
        try await TestServer.start(.sqlite, clock: clock).test { client in
            let settings = AuthSettings()
            let idle = try Self.sessionCookie(try await Self.login(client, "kunyu-duty-officer"))
            clock.set(t0.addingTimeInterval(settings.sessionIdle - 60))
            #expect(try await client.execute(uri: "/api/v1/session", method: .get, headers: [.cookie: idle]).status == .ok)
            // Still alive just before the idle time since that use, gone at it.
            clock.set(t0.addingTimeInterval(2 * settings.sessionIdle - 61))
            #expect(try await client.execute(uri: "/api/v1/session", method: .get, headers: [.cookie: idle]).status == .ok)
            clock.set(t0.addingTimeInterval(3 * settings.sessionIdle - 61))
            #expect(try await client.execute(uri: "/api/v1/session", method: .get, headers: [.cookie: idle]).status == .unauthorized)

            // Used every hour, a session still ends at its lifetime (one shift).
            let start = clock.now()
            let busy = try Self.sessionCookie(try await Self.login(client, "kunyu-duty-officer"))
            var elapsed: TimeInterval = 0
            while elapsed + 3600 < settings.sessionLifetime {
                elapsed += 3600
                clock.set(start.addingTimeInterval(elapsed))
                #expect(try await client.execute(uri: "/api/v1/session", method: .get, headers: [.cookie: busy]).status == .ok, "after \(elapsed / 3600) h")
            }
            clock.set(start.addingTimeInterval(settings.sessionLifetime))
            #expect(try await client.execute(uri: "/api/v1/session", method: .get, headers: [.cookie: busy]).status == .unauthorized)
        }
    }

    @Test(arguments: Engine.all) func throttlingLocksAnAccountAndAnAddressThenReleases(_ engine: Engine) async throws {
        let clock = TestClock(t0)
        try await TestServer.start(engine, clock: clock).test { client in
            let settings = AuthSettings()
            for _ in 0..<settings.failuresPerLogin {
                #expect(try await Self.login(client, "kunyu-commander", password: "Wrong-guess-1").status == .unauthorized)
            }
            // Locked: even the right password is refused, with the time it ends.
            var response = try await Self.login(client, "kunyu-commander")
            #expect(response.status == .tooManyRequests)
            #expect(try errorField(response).message?.contains("2026-03-01 02:25（北京时间）") == true)
            #expect(response.headers[.retryAfter] == "900")
            // Another account from the same address is not locked by these five.
            #expect(try await Self.login(client, "kunyu-viewer").status == .created)
            clock.set(t0.addingTimeInterval(settings.failureWindow))
            #expect(try await Self.login(client, "kunyu-commander").status == .created)

            // The address: many failures over many logins lock every login from it.
            for n in 0..<settings.failuresPerAddress {
                _ = try await Self.login(client, "guess-\(n)", password: "Wrong-guess-1")
            }
            response = try await Self.login(client, "kunyu-duty-leader")
            #expect(response.status == .tooManyRequests)
            #expect(try errorField(response).message?.contains("来自该地址的登录") == true)
            clock.set(clock.now().addingTimeInterval(settings.failureWindow))
            #expect(try await Self.login(client, "kunyu-duty-leader").status == .created)

            let events = try await client.execute(uri: "/api/v1/session", method: .get, headers: headers())
            #expect(events.status == .ok)
        }
    }

    /// A burst of parallel guesses cannot all pass the lock check before the first failure is
    /// written: at most the limit get a password check.
    @Test(arguments: Engine.all) func parallelGuessesAreThrottledToo(_ engine: Engine) async throws {
        try await TestServer.start(engine).test { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for n in 0..<30 {
                    group.addTask { try await Self.login(client, "kunyu-commander", password: "Parallel-guess-\(n)").status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count <= AuthSettings().failuresPerLogin)
            #expect(statuses.filter { $0 == .tooManyRequests }.count >= 30 - AuthSettings().failuresPerLogin)
            #expect(Set(statuses).isSubset(of: [.unauthorized, .tooManyRequests]))
        }
    }

    @Test func openRoutesAreExactlyTheOpenOnes() async throws {
        try await TestServer.start(.sqlite).test { client in
            // Empty path segments reach the same routes, and are guarded the same way.
            for path in ["/api/v1/jurisdictions", "//api/v1/jurisdictions", "/api//v1/incidents", "//api/v1/session"] {
                #expect(try await client.execute(uri: path, method: .get).status == .unauthorized, "\(path)")
            }
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            // Signing in takes JSON only (a cross-site text/plain form cannot sign a browser in).
            let form = try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "text/plain"],
                                                body: json(["login": "kunyu-viewer", "password": Demo.password]))
            #expect(form.status == .unsupportedMediaType)
            #expect(form.headers[.setCookie] == nil)
        }
    }

    @Test(arguments: Engine.all) func passwordChangeAndDisablingEndSessionsAndTokens(_ engine: Engine) async throws {
        let running = try await TestServer.start(engine)
        try await running.test { client in
            let accounts = running.server.accounts
            let first = try Self.sessionCookie(try await Self.login(client, "kunyu-viewer"))
            try await accounts.changePassword(login: "kunyu-viewer", password: "Another-pass-99", by: "测试")
            #expect(try await client.execute(uri: "/api/v1/session", method: .get, headers: [.cookie: first]).status == .unauthorized)
            #expect(try await Self.login(client, "kunyu-viewer").status == .unauthorized)
            #expect(try await Self.login(client, "kunyu-viewer", password: "Another-pass-99").status == .created)
            await #expect(throws: APIError.self) { try await accounts.changePassword(login: "kunyu-viewer", password: "short", by: "测试") }

            try await accounts.setDisabled(login: "kunyu-viewer", true, by: "测试")
            let disabled = try await Self.login(client, "kunyu-viewer", password: "Another-pass-99")
            #expect(disabled.status == .forbidden)
            #expect(try errorField(disabled).message == "账号已停用，请联系管理员")
            #expect(try await get(client, "/api/v1/incidents", as: "kunyu-viewer").status == .unauthorized)
        }
    }

    @Test(arguments: Engine.all) func tokensRevokedExpiredOrBeyondTheAccountAreRefusedAndNeverRecorded(_ engine: Engine) async throws {
        let clock = TestClock(t0)
        let running = try await TestServer.start(engine, clock: clock)
        try await running.test { client in
            let accounts = running.server.accounts
            let (secret, record) = try await accounts.createToken(login: "kunyu-duty-officer", grant: RoleGrant(role: .dutyOfficer, jurisdictionID: "kunyu"),
                                                                  name: "市平台", days: 1, by: "测试")
            var fields: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(secret)"]
            let created = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: fields, body: json(kunyuReport()))
            #expect(created.status == .created)
            let id = try #require(try object(created)["id"] as? String)
            let me = try object(try await client.execute(uri: "/api/v1/session", method: .get, headers: fields))
            #expect((me["method"] as? [String: Any])?["tokenID"] as? String == record.id)
            #expect(me["csrfToken"] is NSNull)

            // A token cannot be made for a role the account lacks.
            await #expect(throws: APIError.self) {
                _ = try await accounts.createToken(login: "kunyu-duty-officer", grant: RoleGrant(role: .commander, jurisdictionID: "kunyu"), name: "x", days: 1, by: "测试")
            }
            // Expired.
            clock.set(t0.addingTimeInterval(86_400))
            let response = try await client.execute(uri: "/api/v1/incidents", method: .get, headers: fields)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
            #expect(!String(buffer: response.body).contains(secret))
            clock.set(t0)
            // Revoked.
            try await accounts.revokeToken(id: record.id, by: "测试")
            #expect(try await client.execute(uri: "/api/v1/incidents", method: .get, headers: fields).status == .unauthorized)
            // The account no longer holds the token's role.
            try await accounts.setGrants(login: "kunyu-viewer", [], by: "测试")
            #expect(try await get(client, "/api/v1/incidents", as: "kunyu-viewer").status == .unauthorized)
            // A check that read the database before a revocation cannot put the token back: the
            // cache refuses answers older than the last removal (here: the revocation above).
            #expect(try await client.execute(uri: "/api/v1/incidents", method: .get, headers: fields).status == .unauthorized)
            // Revoked by another process (the CLI writes the database directly): refused once the
            // server re-checks, within AuthSettings.recheckInterval.
            let (other, otherRecord) = try await accounts.createToken(login: "kunyu-duty-officer", grant: RoleGrant(role: .dutyOfficer, jurisdictionID: "kunyu"),
                                                                      name: "另一个", days: 1, by: "测试")
            let otherFields: HTTPFields = [.authorization: "Bearer \(other)"]
            #expect(try await client.execute(uri: "/api/v1/incidents", method: .get, headers: otherFields).status == .ok)
            _ = try await running.server.store.accounts.revokeToken(id: otherRecord.id, at: clock.now(),
                                                                    event: AuthEvent(at: clock.now(), kind: "token.revoked", login: nil, address: nil, detail: "命令行"))
            clock.set(t0.addingTimeInterval(AuthSettings().recheckInterval))
            #expect(try await client.execute(uri: "/api/v1/incidents", method: .get, headers: otherFields).status == .unauthorized)
            // Not a bearer token at all.
            fields[.authorization] = "Basic a3VueXU6cGFzcw=="
            #expect(try await client.execute(uri: "/api/v1/incidents", method: .get, headers: fields).status == .unauthorized)

            // The secret is in neither the security log nor the timeline; its use is, by id.
            let events = try await running.server.store.accounts.events(limit: 1000)
            #expect(events.contains { $0.kind == "token.used" && $0.detail.contains(record.id) })
            #expect(!events.contains { $0.detail.contains(secret) || $0.detail.contains(String(secret.dropFirst(3))) })
            let timeline = try await running.server.store.incidents.timeline(incidentID: id)
            #expect(!timeline.isEmpty)
            #expect(!timeline.contains { String(decoding: $0.payload.canonicalData, as: UTF8.self).contains(secret) || $0.actor.contains(secret) })
            #expect(timeline.first?.actor == actorName("kunyu-duty-officer"))
        }
    }
}
