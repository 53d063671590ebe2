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
    let request: Request
    let body: Data
    let key: String?
    let requestHash: String

    init(_ request: Request, context: YingjiRequestContext) async throws {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        self.request = request
        body = Data(buffer.readableBytesView)
        if let raw = request.headers[.idempotencyKey] {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            guard (1...200).contains(trimmed.count), trimmed.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                throw APIError(.badRequest, "idempotency.invalid_key", "Idempotency-Key 须为 1–200 个 ASCII 字符", field: "Idempotency-Key")
            }
            // Keys are per account: another account reusing a key never sees this account's answer.
            key = (context.identity.map { "\($0.user.id):" } ?? "") + trimmed
        } else {
            key = nil
        }
        var hasher = SHA256()
        hasher.update(data: Data("\(request.method.rawValue) \(request.uri.path)\n".utf8))
        hasher.update(data: body)
        requestHash = hexString(hasher.finalize())
    }

    /// Runs `operation` (which must pass the answer closure on to the service) or replays.
    func run(status: HTTPResponse.Status, repository: IncidentRepository, now: Date, render: @escaping @Sendable (Incident) -> JSONValue,
             headers: @escaping @Sendable (Incident) -> HTTPFields = { _ in [:] },
             _ operation: (IdempotencyAnswer?) async throws -> Incident) async throws -> Response {
        guard let key else {
            let incident = try await operation(nil)
            return JSONResponse.make(status, render(incident), headers: headers(incident))
        }
        if let stored = try await repository.idempotencyRecord(key: key) { return try replay(stored) }
        let hash = requestHash
        do {
            let incident = try await operation { incident in
                IdempotencyRecord(key: key, requestHash: hash, status: Int(status.code), body: render(incident).responseData, createdAt: now)
            }
            return JSONResponse.make(status, render(incident), headers: headers(incident))
        } catch {
            // A concurrent retry with the same key may have won: answer what it stored.
            if let stored = try await repository.idempotencyRecord(key: key) { return try replay(stored) }
            throw error
        }
    }

    private func replay(_ stored: IdempotencyRecord) throws -> Response {
        guard stored.requestHash == requestHash else {
            throw APIError(.unprocessableContent, "idempotency.key_reused", "该 Idempotency-Key 已用于另一个请求；新请求请换一个键", field: "Idempotency-Key")
        }
        var headers: HTTPFields = [:]
        headers[.idempotentReplay] = "true"
        return JSONResponse.make(HTTPResponse.Status(code: stored.status), stored.body, headers: headers)
    }
}
