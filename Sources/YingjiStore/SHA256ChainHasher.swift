import Crypto
import Foundation
import YingjiCore

/// SHA-256 over the previous entry's hash and this entry's canonical JSON, as lowercase hex.
public struct SHA256ChainHasher: ChainHasher {
    public init() {}

    public func hash(previous: String, canonical: Data) -> String {
        canonical.withUnsafeBytes { hash(previous: previous, $0) }
    }

    public func hash(previous: String, canonicalBytes: [UInt8]) -> String {
        canonicalBytes.withUnsafeBytes { hash(previous: previous, $0) }
    }

    private func hash(previous: String, _ canonical: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256()
        var previous = previous
        previous.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        hasher.update(bufferPointer: canonical)
        return hasher.finalize().withUnsafeBytes { hexString($0) }
    }
}
