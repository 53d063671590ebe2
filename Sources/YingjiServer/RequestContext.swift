import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import YingjiCore

/// Per-request state: who is acting and from where. Filled by `AuthMiddleware`, the one place that decides it.
public struct YingjiRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The signed-in account (session cookie or API token); nil before authentication.
    public var identity: Identity?
    /// The peer's IP address, for login throttling and the security log.
    public let address: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        address = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Reports and transitions are small; anything larger is refused with 413 before it is read.
    public var maxUploadSize: Int { Server.maxBodyBytes }

    /// The authenticated account; the middleware guarantees one on every protected route.
    func requireIdentity() throws -> Identity {
        guard let identity else {
            throw APIError(.unauthorized, "auth.required", "请先登录，或在 Authorization 请求头中提供 API 令牌（Bearer yj_…）", headers: AccountService.challenge)
        }
        return identity
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplay = HTTPField.Name("Idempotent-Replayed")!
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    static let csrfToken = HTTPField.Name("X-CSRF-Token")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}

/// Turns every failure into the API's error shape. Domain errors keep their code and field;
/// anything unexpected is logged in full and answered 500 without details.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = YingjiRequestContext
    /// Route patterns (`/api/v1/incidents/:id`) and their methods, to tell 405 from 404.
    let routes: [(pattern: [Substring], method: HTTPRequest.Method)]

    init(routes: [(path: String, method: HTTPRequest.Method)]) {
        self.routes = routes.map { ($0.path.split(separator: "/"), $0.method) }
    }

    /// Methods the path answers to, when it matches a known route.
    func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return routes.filter { route in
            route.pattern.count == segments.count && zip(route.pattern, segments).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
        }.map(\.method)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as IncidentError {
            throw APIError(error)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body.too_large", "请求体超过 \(Server.maxBodyBytes / 1024) KiB 上限")
        } catch let error as HTTPError where error.status == .notFound && !allowedMethods(for: request.uri.path).isEmpty {
            let allowed = allowedMethods(for: request.uri.path).map(\.rawValue).joined(separator: ", ")
            throw APIError(.methodNotAllowed, "http.405", "\(request.uri.path) 不支持 \(request.method.rawValue)，可用：\(allowed)", headers: [.allow: allowed])
        } catch let error as HTTPError {
            let message = error.status == .notFound ? "没有这个地址：\(request.uri.path)" : (error.body ?? error.status.reasonPhrase)
            throw APIError(error.status, "http.\(error.status.code)", message)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            throw APIError(.internalServerError, "internal", "服务器内部错误，已记录日志；请稍后重试")
        }
    }
}
