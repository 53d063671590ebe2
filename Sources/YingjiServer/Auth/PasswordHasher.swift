import Foundation
import HummingbirdBcrypt
import NIOPosix

/// Hashes and checks passwords with bcrypt. bcrypt is slow on purpose (about 0.2 s at cost 12),
/// so it runs on NIO's blocking thread pool, never on an event loop or the cooperative pool.
public struct PasswordHasher: Sendable {
    /// bcrypt's work factor. 12 in production; tests use the minimum (4) so they stay fast.
    public let cost: UInt8

    public init(cost: UInt8 = 12) {
        self.cost = min(max(cost, 4), 31)
    }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
