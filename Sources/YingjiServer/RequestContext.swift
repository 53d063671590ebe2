import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import YingjiCore

/// Per-request state: who is acting. Filled by `ActorMiddleware`, the one place that decides it.
public struct YingjiRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The person or system making the request; nil for anonymous reads.
    public var actor: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        actor = nil
    }

    /// Reports and transitions are small; anything larger is refused with 413 before it is read.
    public var maxUploadSize: Int { Server.maxBodyBytes }

    /// The acting person; writes without one are refused.
    func requireActor() throws -> String {
        guard let actor else {
            throw APIError(.badRequest, "actor.missing", "请在 X-Actor 请求头中写明操作人（姓名或岗位，非 ASCII 字符请用 UTF-8 百分号编码）", field: "X-Actor")
        }
        return actor
    }
}

extension HTTPField.Name {
    static let actor = HTTPField.Name("X-Actor")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplay = HTTPField.Name("Idempotent-Replayed")!
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}

/// Resolves the actor of every request. Until accounts exist (issue 5) it is the `X-Actor`
/// header, percent-decoded so Chinese names travel in ASCII headers.
struct ActorMiddleware: RouterMiddleware {
    typealias Context = YingjiRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let raw = request.headers[.actor] {
            let decoded = (raw.removingPercentEncoding ?? raw).trimmingCharacters(in: .whitespaces)
            guard !decoded.isEmpty, decoded.count <= 100, !decoded.contains(where: { $0.isNewline }) else {
                throw APIError(.badRequest, "actor.invalid", "X-Actor 须为 1–100 个字符的操作人", field: "X-Actor")
            }
            context.actor = decoded
        }
        return try await next(request, context)
    }
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
