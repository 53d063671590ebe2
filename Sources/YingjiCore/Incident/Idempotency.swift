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

/// Opaque ids, `inc_tgb7e2q3f9k2m7q1x8d4c`: seven letters of the second the id was made, two
/// of the 1/1024 of that second, then eleven random letters (55 bits from the system's
/// generator, drawn for many ids at once: a draw is a system call, and one intake makes fifteen
/// ids). The letters are an alphabet in byte order, so ids sort by when they were made, to about
/// a millisecond: the rows one commit writes land together at the end of each index (incidents
/// by id, the timeline by incident), not on as many pages of it as there are reports in the
/// commit (with the second alone, half the pages a commit sent to disk were index pages touched
/// at random within the second's stretch). An id is unguessable and tells nothing about others
/// but when it was made.
public struct RandomIDGenerator: IDGenerator {
    static let alphabet = Array("23456789abcdefghijkmnpqrstuvwxyz".utf8)
    private let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    public func next(_ prefix: String) -> String {
        var random = RandomWords.shared.next()
        let made = max(0, now().timeIntervalSince1970)
        let whole = made.rounded(.down)
        // Seconds in seven letters (35 bits), then the fraction in 1/1024 s (10 bits, two letters).
        var time = UInt64(whole) << 10 | min(1023, UInt64((made - whole) * 1024))
        var prefix = prefix
        return prefix.withUTF8 { head in
            // Written straight into the new string's storage: the prefix, "_", 9 letters of time, 11 random.
            String(unsafeUninitializedCapacity: head.count + 21) { letters in
                _ = letters.initialize(fromContentsOf: head)
                letters[head.count] = UInt8(ascii: "_")
                for index in (0..<9).reversed() {
                    letters[head.count + 1 + index] = Self.alphabet[Int(time & 0x1F)]
                    time >>= 5
                }
                for index in 0..<11 {
                    letters[head.count + 10 + index] = Self.alphabet[Int(random & 0x1F)]
                    random >>= 5
                }
                return head.count + 21
            }
        }
    }

    /// The second an id of this generator was made (its first seven letters after the prefix).
    public static func madeAt(_ id: String) -> Date? {
        guard let underscore = id.utf8.firstIndex(of: UInt8(ascii: "_")) else { return nil }
        let letters = id.utf8[id.utf8.index(after: underscore)...].prefix(7)
        guard letters.count == 7 else { return nil }
        var seconds: UInt64 = 0
        for letter in letters {
            guard let value = alphabet.firstIndex(of: letter) else { return nil }
            seconds = seconds << 5 | UInt64(value)
        }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}

/// Random 64-bit words from the system's generator (`/dev/urandom`), read 64 at a time and
/// handed out under a lock, each word once. The words are as unpredictable as the generator's own;
/// only the system calls are fewer. Where the device cannot be read, each word is drawn alone.
final class RandomWords: @unchecked Sendable {
    static let shared = RandomWords()
    private let lock = NSLock()
    private var words = [UInt64](repeating: 0, count: 64)
    private var used = 64
    private let device = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

    func next() -> UInt64 {
        lock.withLock {
            if used >= words.count { refill() }
            defer { used += 1 }
            return words[used]
        }
    }

    private func refill() {
        let wanted = words.count * MemoryLayout<UInt64>.size
        let filled = device < 0 ? -1 : words.withUnsafeMutableBytes { buffer in read(device, buffer.baseAddress, wanted) }
        if filled != wanted {
            var generator = SystemRandomNumberGenerator()
            for index in words.indices { words[index] = generator.next() }
        }
        used = 0
    }
}
