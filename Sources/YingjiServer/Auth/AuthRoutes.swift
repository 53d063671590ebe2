import Foundation
import HTTPTypes
import Hummingbird
import YingjiCore

/// Decides who is making each request. An API token (`Authorization: Bearer yj_…`) or the
/// session cookie; unsafe requests in a session must also carry its CSRF token. Everything under
/// `/api/` needs one of the two except signing in; `/health` and `/metrics` are open.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = YingjiRequestContext
    let accounts: AccountService

    static let sessionCookie = "yingji_session"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        // By segments, as the router matches them (it ignores empty ones: `//api/v1/…` is `/api/v1/…`).
        var request = request
        let segments = request.uri.path.split(separator: "/")
        let isAPI = segments.first == "api"
        let open = isAPI ? Self.isOpenAPI(segments, request.method) : Self.isOpenPage(segments)
        let found = try await Self.identify(request, accounts: accounts, address: context.address)
        if let identity = found.identity {
            if case .session(let expected) = identity.method, !Self.isSafe(request.method) {
                // Scripts send the token in a header; plain HTML forms in a hidden `_csrf` field.
                var given = request.headers[.csrfToken]
                if given == nil, request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true {
                    given = FormBody(try await request.collectBody(upTo: isAPI ? context.maxUploadSize : Server.maxFormBytes))["_csrf"]
                }
                guard let given, Self.constantTimeEqual(given, expected) else {
                    throw APIError(.forbidden, "auth.csrf", "缺少或错误的 CSRF 令牌（X-CSRF-Token 请求头）；请刷新页面后重试", field: "X-CSRF-Token")
                }
            }
            context.identity = identity
        } else if found.sessionEnded && !open && isAPI {
            throw APIError(.unauthorized, "auth.session_expired", "登录已过期或已退出，请重新登录", headers: AccountService.challenge)
        }
        if context.identity == nil && !open {
            guard isAPI else {
                // Pages send people to sign in, and back to where they were going afterwards.
                var path = request.uri.path
                if let query = request.uri.query, !query.isEmpty { path += "?" + query }
                let next = request.method == .get ? "?next=" + (path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/") : ""
                return WebRoutes.redirect("/login" + next)
            }
            _ = try context.requireIdentity()
        }
        return try await next(request, context)
    }

    /// The account behind the request's token or session cookie. A malformed or dead token is an
    /// error (401); a dead session is reported as `sessionEnded` (signing in again is allowed).
    static func identify(_ request: Request, accounts: AccountService, address: String) async throws -> (identity: Identity?, sessionEnded: Bool) {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw APIError(.unauthorized, "auth.invalid_header", "Authorization 请求头须为「Bearer yj_…」格式的 API 令牌", field: "Authorization",
                               headers: AccountService.challenge)
            }
            guard let identity = try await accounts.identity(token: String(parts[1]).trimmingCharacters(in: .whitespaces), address: address) else {
                throw APIError(.unauthorized, "auth.invalid_token", "API 令牌无效、已过期或已被撤销", field: "Authorization",
                               headers: [.wwwAuthenticate: #"Bearer realm="yingji", error="invalid_token""#])
            }
            return (identity, false)
        }
        guard let secret = cookie(sessionCookie, in: request.headers[values: .cookie]) else { return (nil, false) }
        guard let (identity, _) = try await accounts.identity(sessionSecret: secret) else { return (nil, true) }
        return (identity, false)
    }

    /// The value of the first cookie called `name` in the Cookie headers, read as Hummingbird's
    /// `request.cookies[name]?.value` reads it (each header split at ";", leading white space
    /// dropped, the value all after the "=" signs that follow the name, an empty one none), without building every cookie and its
    /// attributes first: it is asked on every request.
    static func cookie(_ name: String, in headers: [String]) -> String? {
        // Read byte by byte (every request that signs in by session passes here). Hummingbird
        // splits and trims by Character, which for ASCII is the same; a header with anything else
        // in it (a combining mark after ";", a no-break space) is read by Hummingbird's own parser,
        // so signing in and signing out always see the same value.
        guard headers.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) else { return Cookies(from: headers)[name]?.value }
        for header in headers {
            let bytes = header.utf8
            var start = bytes.startIndex
            while true {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: ";")) ?? bytes.endIndex
                let pair = bytes[start..<end].drop { $0 == 0x20 || (0x09...0x0D).contains($0) }
                if let equals = pair.firstIndex(of: UInt8(ascii: "=")), pair[..<equals].elementsEqual(name.utf8) {
                    // The first of the name decides; an empty value is none, as there.
                    // Hummingbird's split skips every "=" after the name: `a==b` reads as `b`.
                    let value = pair[equals...].drop { $0 == UInt8(ascii: "=") }
                    return value.isEmpty ? nil : String(Substring(value))
                }
                guard end < bytes.endIndex else { break }
                start = bytes.index(after: end)
            }
        }
        return nil
    }

    /// Pages anyone may open: sign-in, static files, health and metrics.
    static func isOpenPage(_ segments: [Substring]) -> Bool {
        segments == ["login"] || segments == ["health"] || segments == ["metrics"] || (segments.count == 2 && segments[0] == "static")
            || segments == ["public", "warnings"]
    }

    /// Signing in, and what a published warning says (its CAP alert, the feed of current warnings):
    /// public information, meant to reach everyone.
    static func isOpenAPI(_ segments: [Substring], _ method: HTTPRequest.Method) -> Bool {
        if segments == ["api", "v1", "session"] { return method == .post }
        guard isSafe(method) else { return false }
        return segments == ["api", "v1", "feeds", "warnings.json"]
            || (segments.count == 4 && segments[2] == "warnings" && segments[3].hasSuffix(".cap.xml") && segments[0] == "api" && segments[1] == "v1")
    }

    static func isSafe(_ method: HTTPRequest.Method) -> Bool { [.get, .head, .options].contains(method) }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// `/api/v1/session`: sign in (POST), who am I (GET), sign out (DELETE).
struct SessionRoutes {
    let server: Server

    func add(to router: Router<YingjiRequestContext>) {
        router.post("api/v1/session", use: login)
        router.get("api/v1/session", use: current)
        router.delete("api/v1/session", use: logout)
    }

    @Sendable func login(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        // JSON only: a cross-site `text/plain` form could otherwise sign a browser in as someone else.
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            throw APIError(.unsupportedMediaType, "session.content_type", "登录请求须为 JSON（Content-Type: application/json）", field: "Content-Type")
        }
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        let body = try JSONBody(Data(buffer.readableBytesView), allowed: ["login", "password"])
        let login = try body.string("login") ?? ""
        let password = try body.string("password") ?? ""
        let result = try await server.accounts.login(login, password: password, address: context.address)
        var response = JSONResponse.make(.created, Self.view(result.identity, expiresAt: result.session.expiresAt, tree: server.catalog))
        response.setCookie(Self.cookie(result.secret, server: server, request: request))
        return response
    }

    @Sendable func current(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        return JSONResponse.make(.ok, Self.view(identity, expiresAt: nil, tree: server.catalog))
    }

    @Sendable func logout(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        guard case .session = identity.method, let cookie = request.cookies[AuthMiddleware.sessionCookie] else {
            throw APIError(.badRequest, "session.not_a_session", "使用 API 令牌时无需退出；停用令牌请用 yingji token revoke")
        }
        try await server.accounts.logout(sessionSecret: cookie.value, login: identity.user.login, address: context.address)
        var response = Response(status: .noContent)
        response.setCookie(Self.cookie("", server: server, request: request))
        return response
    }

    /// The session cookie (an empty secret clears it): HttpOnly, SameSite=Strict, and Secure when
    /// served over TLS (`serve --secure-cookies`, or a proxy saying `X-Forwarded-Proto: https`).
    static func cookie(_ secret: String, server: Server, request: Request) -> Cookie {
        let secure = server.secureCookies || request.headers[.forwardedProto]?.lowercased() == "https"
        return Cookie(name: AuthMiddleware.sessionCookie, value: secret, maxAge: secret.isEmpty ? 0 : Int(server.accounts.settings.sessionLifetime),
                      path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    static func view(_ identity: Identity, expiresAt: Date?, tree catalog: JurisdictionCatalog) -> JSONValue {
        var method: JSONValue = ["kind": "token"]
        var csrf: JSONValue = .null
        switch identity.method {
        case .session(let token): method = ["kind": "session"]; csrf = .string(token)
        case .token(let id): method = ["kind": "token", "tokenID": .string(id)]
        }
        return [
            "user": ["id": .string(identity.user.id), "login": .string(identity.user.login), "name": .string(identity.user.name)],
            "grants": .array(identity.grants.map { grant in
                [
                    "role": .string(grant.role.rawValue), "roleName": .string(grant.role.chineseName),
                    "jurisdiction": .string(grant.jurisdictionID),
                    "jurisdictionName": .string(grant.jurisdictionID == JurisdictionTree.everywhere ? "全部辖区" : catalog.jurisdiction(grant.jurisdictionID)?.name ?? grant.jurisdictionID),
                    "organisation": .optional(grant.organisationID),
                ]
            }),
            "method": method,
            "csrfToken": csrf,
            "expiresAt": expiresAt.map { .string(Timestamp.format($0)) } ?? .null,
        ]
    }
}
