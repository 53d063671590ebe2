import Foundation

/// The answer stored under an `Idempotency-Key`, written in the same transaction as the change it
/// answers: a retry after a crash, a timeout or a lost response finds it and gets the same answer.
public struct IdempotencyRecord: Sendable, Equatable {
    public let key: String
    /// Digest of the request (method, path, body): the same key with another request is refused.
    public let requestHash: String
    public let status: Int
    public let body: Data
    public let createdAt: Date

    public init(key: String, requestHash: String, status: Int, body: Data, createdAt: Date) {
        self.key = key
        self.requestHash = requestHash
        self.status = status
        self.body = body
        self.createdAt = createdAt
    }
}

/// How the caller turns the changed incident into the stored answer for its key.
public typealias IdempotencyAnswer = @Sendable (Incident) throws -> IdempotencyRecord

extension IncidentError {
    /// Another request already used this key; the caller replays or refuses.
    public static func keyTaken(_ key: String) -> IncidentError {
        IncidentError(.conflict, "idempotency.key_taken", "幂等键 \(key) 已被使用", field: "Idempotency-Key")
    }
}

/// Opaque random ids: `inc_3f9k2m7q1x8d4c6b`. Unguessable, so an id leaks nothing about others.
public struct RandomIDGenerator: IDGenerator {
    private static let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
    public init() {}
    /// 16 letters of a 32-letter alphabet: 80 random bits, five per letter, from two draws of
    /// the system generator (a draw per letter cost a system call each).
    public func next(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        var bits: (UInt64, UInt64) = (generator.next(), generator.next())
        var letters = Array(prefix) + ["_"]
        for index in 0..<16 {
            let word = index < 12 ? bits.0 : bits.1
            letters.append(Self.alphabet[Int(word & 0x1F)])
            if index < 12 { bits.0 >>= 5 } else { bits.1 >>= 5 }
        }
        return String(letters)
    }
}
