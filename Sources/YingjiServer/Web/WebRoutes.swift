import Foundation
import HTTPTypes
import Hummingbird
import YingjiCore

/// The pages: sign-in, sign-out and the incident board. Forms work without JavaScript.
struct WebRoutes {
    let server: Server
    let pages: WebPages

    func add(to router: Router<YingjiRequestContext>) {
        router.get("/", use: board)
        router.get("login", use: loginForm)
        router.post("login", use: login)
        router.post("logout", use: logout)
        router.get("static/:file", use: asset)
        router.get("incidents/:id", use: incidentPage)
        router.get("overdue", use: overdue)
        router.post("incidents/:id/obligations/:obligationID/fulfil", use: fulfil)
    }

    // MARK: signing in and out

    @Sendable func loginForm(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let next = Self.safeNext(request.uri.queryParameters["next"].map(String.init))
        if context.identity != nil { return Self.redirect(next) }
        return pages.page("login", title: pages.text("loginTitle"), identity: nil, catalog: server.catalog, values: ["next": next])
    }

    @Sendable func login(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        var request = request
        let form = FormBody(try await request.collectBody(upTo: context.maxUploadSize))
        let next = Self.safeNext(form["next"])
        let login = form["login"] ?? ""
        func again(_ status: HTTPResponse.Status, _ error: String) -> Response {
            pages.page("login", title: pages.text("loginTitle"), identity: nil, catalog: server.catalog, status: status,
                       values: ["next": next, "login": login, "error": error])
        }
        // A sign-in form posted from another site would sign this browser in as someone else.
        guard Self.sameOrigin(request) else { return again(.forbidden, pages.text("loginForeign")) }
        guard !login.isEmpty, let password = form["password"], !password.isEmpty else { return again(.unprocessableContent, pages.text("loginMissing")) }
        do {
            let result = try await server.accounts.login(login, password: password, address: context.address)
            var response = Self.redirect(next)
            response.setCookie(SessionRoutes.cookie(result.secret, server: server, request: request))
            return response
        } catch let error as APIError where [.unauthorized, .forbidden, .tooManyRequests].contains(error.status) {
            return again(error.status, error.message)
        }
    }

    @Sendable func logout(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        if let identity = context.identity, case .session = identity.method, let cookie = request.cookies[AuthMiddleware.sessionCookie] {
            try await server.accounts.logout(sessionSecret: cookie.value, login: identity.user.login, address: context.address)
        }
        var response = Self.redirect("/login")
        response.setCookie(SessionRoutes.cookie("", server: server, request: request))
        return response
    }

    // MARK: pages

    /// 事故总览: the incidents this account may see, open ones first, with grade, level, status
    /// and the next reporting deadline.
    @Sendable func board(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let query = IncidentQuery(visibility: identity.visibility(tree: server.catalog.tree), limit: 200)
        let incidents = try await server.store.incidents.incidents(query)
        let rows: [[String: Any]] = incidents.map { incident in
            let grade = incident.grade?.grade
            var row: [String: Any] = [
                "id": incident.id,
                "jurisdiction": server.catalog.jurisdiction(incident.jurisdiction)?.name ?? incident.jurisdiction,
                "grade": grade.flatMap(Grade.init).map(\.chineseName) ?? pages.text("noGrade"),
                "gradeClass": grade.map(String.init) ?? "none",
                "level": incident.response.map { "\(ResponseLevel($0.level)?.chineseName ?? "\($0.level)")" } ?? pages.text("noLevel"),
                "status": incident.status.chineseName,
                "knownAt": Self.display(incident.knownAt), "knownAtISO": Timestamp.format(incident.knownAt),
                "deadline": incident.nextDeadline.map(Self.display) ?? pages.text("noDeadline"),
            ]
            if let category = incident.category { row["category"] = server.catalog.plan(forJurisdiction: incident.jurisdiction)?.categories.first { $0.id == category }?.name ?? category }
            if let deadline = incident.nextDeadline { row["deadlineISO"] = Timestamp.format(deadline) }
            if incident.overdueCount > 0 { row["overdue"] = "\(incident.overdueCount) \(pages.text("overdueCount"))" }
            return row
        }
        return pages.page("board", title: pages.text("boardTitle"), identity: identity, catalog: server.catalog,
                          values: ["rows": rows, "hasRows": !rows.isEmpty])
    }

    /// 逾期: every overdue reporting obligation of the incidents this account may see, the
    /// longest overdue first, each linked to its incident.
    @Sendable func overdue(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let now = server.clock.now()
        let query = IncidentQuery(overdueOnly: true, visibility: identity.visibility(tree: server.catalog.tree), limit: Int.max)
        let rows = try await server.store.incidents.incidents(query).flatMap { incident in
            incident.obligations.filter { $0.status == .overdue }.map { (incident, $0) }
        }.sorted { ($0.1.dueAt ?? .distantPast, $0.1.id) < ($1.1.dueAt ?? .distantPast, $1.1.id) }.map { incident, obligation -> [String: Any] in
            let plan = server.catalog.plan(forJurisdiction: incident.jurisdiction)
            let name = { (role: String) in plan?.roleName(role) ?? role }
            let due = obligation.dueAt ?? now
            return [
                "incidentID": incident.id, "obligationID": obligation.id,
                "jurisdiction": server.catalog.jurisdiction(incident.jurisdiction)?.name ?? incident.jurisdiction,
                "text": obligation.text ?? "\(name(obligation.from)) → \(name(obligation.to))（\(obligation.channel.chineseName)）",
                "source": obligation.source, "due": Self.display(due), "dueISO": Timestamp.format(due),
                "late": Self.duration(now.timeIntervalSince(due), pages: pages),
            ]
        }
        return pages.page("overdue", title: pages.text("overdueTitle"), identity: identity, catalog: server.catalog,
                          values: ["rows": rows, "hasRows": !rows.isEmpty])
    }

    /// 事故详情: facts, the grade's basis with clauses, the reporting clocks (with a form to mark
    /// one fulfilled, for those who may), and the hash-chained record (for those who may read it).
    @Sendable func incidentPage(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.parameters.require("id")
        do {
            return try await incidentView(try await server.visibleIncident(id, identity: identity), identity: identity)
        } catch let error as APIError where error.status == .notFound {
            return pages.page("notfound", title: pages.text("notFoundTitle"), identity: identity, catalog: server.catalog, status: .notFound)
        }
    }

    /// The fulfilment form: back to the incident on success, the page with the reason otherwise.
    @Sendable func fulfil(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        var request = request
        let identity = try context.requireIdentity()
        let id = try context.parameters.require("id")
        let obligationID = try context.parameters.require("obligationID")
        let form = FormBody(try await request.collectBody(upTo: context.maxUploadSize))
        let incident: Incident
        do {
            incident = try await server.visibleIncident(id, identity: identity)
        } catch let error as APIError where error.status == .notFound {
            return pages.page("notfound", title: pages.text("notFoundTitle"), identity: identity, catalog: server.catalog, status: .notFound)
        }
        do {
            _ = try await server.authorisedIncident(id, .fulfilObligation, identity: identity)
            guard let channel = form["channel"].flatMap(Channel.init(rawValue:)) else {
                throw APIError(.unprocessableContent, "obligation.channel", "请选择报送方式", field: "channel")
            }
            let reference = (form["reference"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reference.isEmpty, reference.count <= 4000 else {
                throw APIError(.unprocessableContent, "obligation.reference", "请填写凭据（最多 4000 字）", field: "reference")
            }
            guard let version = form["version"].flatMap(Int.init) else {
                throw APIError(.unprocessableContent, "body.invalid_version", "页面已过期，请刷新后重试", field: "version")
            }
            let updated = try await server.incidents.fulfil(id, obligation: obligationID, channel: channel, reference: reference,
                                                            expectedVersion: version, actor: identity.actorName)
            await server.events.publish("incident.changed", IncidentView.summary(updated), access: updated.access)
            return Self.redirect("/incidents/\(id)#obligation-\(obligationID)")
        } catch let error as APIError {
            return try await incidentView(incident, identity: identity, status: error.status, formError: error.message)
        } catch let error as IncidentError {
            let api = APIError(error)
            return try await incidentView(try await server.incidents.incident(id), identity: identity, status: api.status, formError: api.message)
        }
    }

    private func incidentView(_ incident: Incident, identity: Identity, status: HTTPResponse.Status = .ok, formError: String? = nil) async throws -> Response {
        let plan = server.catalog.plan(forJurisdiction: incident.jurisdiction)
        let tree = server.catalog.tree
        let name = { (role: String) in plan?.roleName(role) ?? role }
        let mayFulfil = identity.may(.fulfilObligation, on: incident.access, tree: tree) && incident.status != .archived
        var csrf = ""
        if case .session(let token) = identity.method { csrf = token }
        let grade = incident.grade?.grade
        var values: [String: Any] = [
            "id": incident.id,
            "grade": grade.flatMap(Grade.init).map(\.chineseName) ?? pages.text("noGrade"),
            "gradeClass": grade.map(String.init) ?? "none",
            "jurisdiction": server.catalog.jurisdiction(incident.jurisdiction)?.name ?? incident.jurisdiction,
            "status": incident.status.chineseName,
            "level": incident.response.map { ResponseLevel($0.level)?.chineseName ?? "\($0.level)" } ?? pages.text("noLevel"),
            "knownAt": Self.display(incident.knownAt),
            "figures": Metric.allCases.compactMap { metric in incident.figures.values[metric].map { "\(metric.chineseName) \(metric == .directLoss ? Money.format($0) : "\($0)")" } }
                .joined(separator: "，"),
            "archived": incident.status == .archived,
            "criteria": (incident.grade?.criteria ?? []).map { ["text": $0.text ?? $0.metric, "source": $0.source] },
            "hasCriteria": !(incident.grade?.criteria ?? []).isEmpty,
            "obligations": incident.obligations.map { obligation -> [String: Any] in
                var row: [String: Any] = [
                    "id": obligation.id, "incidentID": incident.id, "version": incident.version, "csrf": csrf,
                    "text": obligation.text ?? "\(name(obligation.from)) → \(name(obligation.to))（\(obligation.channel.chineseName)）",
                    "source": obligation.source, "status": obligation.status.chineseName, "statusClass": obligation.status.rawValue,
                    "due": obligation.dueAt.map(Self.display) ?? "",
                    "canFulfil": mayFulfil && (obligation.status == .pending || obligation.status == .overdue),
                    "channels": Channel.allCases.map { ["value": $0.rawValue, "name": $0.chineseName, "selected": $0 == obligation.channel] },
                ]
                if let due = obligation.dueAt { row["dueISO"] = Timestamp.format(due) }
                if let proof = obligation.fulfilment {
                    row["proof"] = ["by": proof.by, "at": Self.display(proof.at), "channel": proof.channel.chineseName, "reference": proof.reference, "late": proof.late]
                }
                return row
            },
        ]
        if let occurred = incident.occurredAt { values["occurredAt"] = Self.display(occurred) }
        if let response = incident.response { values["response"] = ["decidedBy": name(response.decidedBy), "signedBy": name(response.signedBy)] }
        if let holder = incident.commandHolder { values["commandHolder"] = holder }
        if let formError { values["formError"] = formError }
        if identity.may(.readTimeline, on: incident.access, tree: tree) {
            values["showTimeline"] = true
            values["timeline"] = try await server.store.incidents.timeline(incidentID: incident.id).map { entry in
                ["sequence": entry.sequence, "at": Self.display(entry.at), "actor": entry.actor, "kind": entry.kind] as [String: Any]
            }
        }
        return pages.page("incident", title: "\(pages.text("incidentTitle")) \(incident.id)", identity: identity, catalog: server.catalog,
                          status: status, values: values)
    }

    @Sendable func asset(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let name = try context.parameters.require("file")
        guard let file = pages.assets[name] else { throw HTTPError(.notFound) }
        return Response(status: .ok, headers: [.contentType: file.type, .cacheControl: "max-age=300"],
                        body: .init(byteBuffer: ByteBuffer(bytes: file.data)))
    }

    // MARK: helpers

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// Only a path on this site (`/…`, not `//host`), so the sign-in page cannot send people elsewhere.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), !next.contains(where: { $0.isNewline }) else { return "/" }
        return next
    }

    /// The request's `Origin`, when the browser sends one, names this host.
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    /// "1 小时 5 分钟", "12 分钟".
    static func duration(_ seconds: TimeInterval, pages: WebPages) -> String {
        let minutes = max(0, Int(seconds / 60))
        let hours = minutes / 60
        return hours > 0 ? "\(hours) \(pages.text("hours")) \(minutes % 60) \(pages.text("minutes"))" : "\(minutes) \(pages.text("minutes"))"
    }

    /// `2026-03-01 02:10` in Beijing time.
    static func display(_ date: Date) -> String {
        String(Timestamp.format(date).prefix(16)).replacingOccurrences(of: "T", with: " ")
    }
}

/// An `application/x-www-form-urlencoded` body.
struct FormBody {
    private var values: [String: String] = [:]

    init(_ buffer: ByteBuffer) {
        self.init(String(buffer: buffer))
    }

    init(_ text: String) {
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (part: Substring) in String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            guard let key = parts.first.map(decode), !key.isEmpty, values[key] == nil else { continue }
            values[key] = parts.count == 2 ? decode(parts[1]) : ""
        }
    }

    subscript(_ key: String) -> String? { values[key] }
}
