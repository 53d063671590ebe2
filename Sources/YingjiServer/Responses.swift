import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import YingjiCore

/// JSON answers and the `Idempotency-Key` handling shared by every write.
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status, _ body: Data, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func make(_ status: HTTPResponse.Status, _ value: JSONValue, headers: HTTPFields = [:]) -> Response {
        make(status, value.responseData, headers: headers)
    }
}

/// Reads a write request's body once (refusing more than the limit with 413) and runs it under
/// its `Idempotency-Key`: a key seen before with the same request replays the stored answer, with
/// another request it is 422; a new key's answer is stored in the same transaction as the write.
struct IdempotentWrite {
    let body: Data
    let key: String?
    let requestHash: String

    /// What a write came to: done now, or answered before under the same key.
    enum Outcome<Value> {
        case done(Value)
        case replayed(IdempotencyRecord)
    }

    init(_ request: Request, context: YingjiRequestContext) async throws {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        var key: String?
        if let raw = request.headers[.idempotencyKey] {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            guard (1...200).contains(trimmed.count), trimmed.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                throw APIError(.badRequest, "idempotency.invalid_key", "Idempotency-Key 须为 1–200 个 ASCII 字符", field: "Idempotency-Key")
            }
            key = trimmed
        }
        self.init(body: Data(buffer.readableBytesView), key: key, identity: context.identity, method: request.method.rawValue, path: request.uri.path)
    }

    /// A write from a page form: its key is the one the form was rendered with, so a double
    /// click or a resent form makes one incident, not two.
    init(body: Data, key: String?, identity: Identity?, method: String, path: String) {
        self.body = body
        // Keys are per account: another account reusing a key never sees this account's answer.
        self.key = key.map { (identity.map { "\($0.user.id):" } ?? "") + $0 }
        var hasher = SHA256()
        hasher.update(data: Data("\(method) \(path)\n".utf8))
        hasher.update(data: body)
        requestHash = hasher.finalize().withUnsafeBytes { hexString($0) }
    }

    /// Runs `operation` (which must pass the answer closure on to the service) or replays.
    func run<Value>(status: HTTPResponse.Status, repository: IncidentRepository, now: Date, render: @escaping @Sendable (Value) -> Data,
                    headers: @escaping @Sendable (Value) -> HTTPFields = { _ in [:] },
                    _ operation: ((@Sendable (Value) throws -> IdempotencyRecord)?) async throws -> Value) async throws -> Response {
        // With a key the answer is rendered once, for the stored record, and sent as stored.
        let rendered = RenderedAnswer()
        switch try await perform(status: status, repository: repository, now: now, render: render, keep: rendered, operation) {
        case .done(let value):
            if let answer = rendered.kept { return JSONResponse.make(status, answer, headers: headers(value)) }
            return JSONResponse.make(status, render(value), headers: headers(value))
        case .replayed(let stored):
            var headers: HTTPFields = [:]
            headers[.idempotentReplay] = "true"
            return JSONResponse.make(HTTPResponse.Status(code: stored.status), stored.body, headers: headers)
        }
    }

    /// Runs `operation` under the key, or returns the answer stored for it; the same key with
    /// another request is 422.
    func perform<Value>(status: HTTPResponse.Status, repository: IncidentRepository, now: Date, render: @escaping @Sendable (Value) -> Data,
                        keep rendered: RenderedAnswer? = nil, _ operation: ((@Sendable (Value) throws -> IdempotencyRecord)?) async throws -> Value) async throws -> Outcome<Value> {
        guard let key else { return .done(try await operation(nil)) }
        if let stored = try await repository.idempotencyRecord(key: key) { return try replay(stored) }
        let hash = requestHash
        do {
            return .done(try await operation { value in
                let body = render(value)
                rendered?.keep(body)
                return IdempotencyRecord(key: key, requestHash: hash, status: Int(status.code), body: body, createdAt: now)
            })
        } catch {
            // A concurrent retry with the same key may have won: answer what it stored.
            if let stored = try await repository.idempotencyRecord(key: key) { return try replay(stored) }
            throw error
        }
    }

    /// `run` for an answer built as a JSONValue.
    func run<Value>(status: HTTPResponse.Status, repository: IncidentRepository, now: Date, render: @escaping @Sendable (Value) -> JSONValue,
                    headers: @escaping @Sendable (Value) -> HTTPFields = { _ in [:] },
                    _ operation: ((@Sendable (Value) throws -> IdempotencyRecord)?) async throws -> Value) async throws -> Response {
        try await run(status: status, repository: repository, now: now, render: { render($0).responseData }, headers: headers, operation)
    }

    /// `perform` for an answer built as a JSONValue.
    func perform<Value>(status: HTTPResponse.Status, repository: IncidentRepository, now: Date, render: @escaping @Sendable (Value) -> JSONValue,
                        _ operation: ((@Sendable (Value) throws -> IdempotencyRecord)?) async throws -> Value) async throws -> Outcome<Value> {
        try await perform(status: status, repository: repository, now: now, render: { render($0).responseData }, operation)
    }

    private func replay<Value>(_ stored: IdempotencyRecord) throws -> Outcome<Value> {
        guard stored.requestHash == requestHash else {
            throw APIError(.unprocessableContent, "idempotency.key_reused", "该 Idempotency-Key 已用于另一个请求；新请求请换一个键", field: "Idempotency-Key")
        }
        return .replayed(stored)
    }
}

/// The answer a keyed write rendered for its stored record, so the response is not rendered again.
final class RenderedAnswer: @unchecked Sendable {
    private let lock = NSLock()
    private var answer: Data?

    func keep(_ body: Data) { lock.withLock { answer = body } }
    var kept: Data? { lock.withLock { answer } }
}
