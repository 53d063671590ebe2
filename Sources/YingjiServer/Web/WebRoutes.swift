import Foundation
import HTTPTypes
import Hummingbird
import YingjiCore

/// The pages: sign-in and sign-out here; the board, the duty desk, the incident page and the
/// plans in the files beside this one. Forms work without JavaScript; scripts only add live parts.
struct WebRoutes {
    let server: Server
    let pages: WebPages

    func add(to router: Router<YingjiRequestContext>) {
        router.get("/", use: board)
        router.get("login", use: loginForm)
        router.post("login", use: login)
        router.post("logout", use: logout)
        router.get("static/:file", use: asset)
        router.get("desk", use: desk)
        router.post("desk", use: submitDesk)
        router.get("desk/preview", use: deskPreview)
        router.get("incidents/:id", use: incidentPage)
        router.post("incidents/:id/obligations/:obligationID/fulfil", use: fulfil)
        router.post("incidents/:id/reports", use: addReport)
        router.post("incidents/:id/transitions", use: transition)
        router.get("incidents/:id/command", use: commandPage)
        router.post("incidents/:id/command", use: commandForm)
        router.post("incidents/:id/lead-department", use: leadForm)
        router.get("warnings", use: warningsPage)
        router.get("warnings/new", use: newWarningPage)
        router.post("warnings", use: submitWarning)
        router.get("warnings/:id", use: warningPage)
        router.post("warnings/:id/moves", use: warningMove)
        router.get("public/warnings", use: publicWarnings)
        router.get("overdue", use: overdue)
        router.get("plans", use: plans)
        router.get("plans/:id", use: planPage)
    }

    // MARK: signing in and out

    @Sendable func loginForm(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let next = Self.safeNext(request.uri.queryParameters["next"].map(String.init))
        if context.identity != nil { return Self.redirect(next) }
        return pages.page("login", title: pages.text("loginTitle"), identity: nil, catalog: server.catalog, values: ["next": next])
    }

    @Sendable func login(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        var request = request
        let form = FormBody(try await request.collectBody(upTo: Server.maxFormBytes))
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
        // No control characters either: browsers drop a tab, so `/\t/evil.example` would be `//evil.example`.
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"),
              !next.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return "/" }
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
    /// Every value of each key, in order (checkboxes send one pair per ticked box).
    private var lists: [String: [String]] = [:]

    init(_ buffer: ByteBuffer) {
        self.init(String(buffer: buffer))
    }

    init(_ text: String) {
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (part: Substring) in String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            guard let key = parts.first.map(decode), !key.isEmpty else { continue }
            let value = parts.count == 2 ? decode(parts[1]) : ""
            lists[key, default: []].append(value)
            if values[key] == nil { values[key] = value }
        }
    }

    subscript(_ key: String) -> String? { values[key] }

    func all(_ key: String) -> [String] { lists[key] ?? [] }
}

/// Pages answer their failures as pages: a form posted with a stale CSRF token, a body too
/// large, a move the server refused or an internal error shows the message in Chinese with a way
/// back, not the API's JSON. Under `/api/` errors stay JSON (ErrorMiddleware).
struct PageErrorMiddleware: RouterMiddleware {
    typealias Context = YingjiRequestContext
    let pages: WebPages
    let catalog: JurisdictionCatalog
    let accounts: AccountService
    let publicURL: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // A page asked for while the templates are still being parsed (just after start) waits
        // for them here, suspended, instead of blocking its event loop in the parse's lock. A
        // stylesheet or script (`/static/…`) renders no template and does not wait.
        if !pages.templates.isParsed && Self.isPage(request.uri.path) && !Self.isAsset(request.uri.path) {
            await pages.templates.ready()
        }
        do {
            return try await next(request, context)
        } catch let error as APIError where Self.isPage(request.uri.path) {
            await pages.templates.ready()
            var values: [String: Any] = [
                "message": error.code == "auth.csrf" ? pages.text("csrfExpired") : error.message,
                "status": error.status.code, "code": error.code,
            ]
            if let back = Self.back(request, publicURL: publicURL) { values["back"] = back }
            // This middleware runs outside the one that signs the request in (so that it also
            // answers that one's refusals): the account is looked up again for the page's header.
            let identity = try? await AuthMiddleware.identify(request, accounts: accounts, address: context.address).identity
            var response = pages.page("error", title: pages.text("errorTitle"), identity: identity, catalog: catalog, status: error.status, values: values)
            for field in error.headers where field.name != .contentType { response.headers.append(field) }
            return response
        }
    }

    /// Everything the browser opens as a page: not the API, not health or metrics.
    static func isPage(_ path: String) -> Bool {
        let first = path.split(separator: "/").first
        return first != "api" && first != "health" && first != "metrics"
    }

    /// The stylesheets and scripts the pages load (`/static/…`).
    static func isAsset(_ path: String) -> Bool {
        path.split(separator: "/").first == "static"
    }

    /// The page the form was on, when the browser says and it is a path on this site (as the
    /// request reached us, or under the public address).
    static func back(_ request: Request, publicURL: String? = nil) -> String? {
        guard let referer = request.headers[.referer], let url = URLComponents(string: referer), !url.percentEncodedPath.isEmpty else { return nil }
        let origin = url.host.map { host in url.port.map { "\(host):\($0)" } ?? host }
        let publicOrigin = publicURL.flatMap(URLComponents.init(string:)).flatMap { own in own.host.map { host in own.port.map { "\(host):\($0)" } ?? host } }
        guard origin == nil || origin == request.head.authority || origin == publicOrigin else { return nil }
        var path = url.percentEncodedPath
        if let query = url.percentEncodedQuery { path += "?" + query }
        let safe = WebRoutes.safeNext(path)
        return safe == "/" && path != "/" ? nil : safe
    }
}
