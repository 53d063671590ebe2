import Foundation
import HTTPTypes
import Hummingbird
import YingjiCore

/// The one error shape of the API: `{"error": {"code", "message", "field"}}` with a fitting 4xx.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let field: String?
    let headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers
    }

    init(_ error: IncidentError) {
        switch error.kind {
        case .invalid: status = .unprocessableContent
        case .conflict: status = .conflict
        case .forbidden: status = .forbidden
        case .notFound: status = .notFound
        }
        code = error.code
        message = error.message
        field = error.field
        headers = [:]
    }

    /// A refusal as the API answers it: an `APIError` as it is, a domain error mapped; nil for
    /// anything else (which is a bug, left to the error middleware).
    static func from(_ error: Error) -> APIError? {
        (error as? APIError) ?? (error as? IncidentError).map(APIError.init)
    }

    /// The account lacks the action here (it may see the thing, so 403 leaks nothing).
    static func denied(_ action: Action, detail: String = "") -> APIError {
        APIError(.forbidden, "auth.forbidden", "您的角色无权\(action.chineseName)\(detail)")
    }

    /// What an incident the account may not see looks like: exactly a missing one.
    static func noIncident(_ id: String) -> APIError {
        APIError(.notFound, "incident.not_found", "没有事故 \(id)")
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    var body: Data {
        var inner: [String: String] = ["code": code, "message": message]
        if let field { inner["field"] = field }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(["error": inner])) ?? Data()
    }
}
