import Crypto
import Foundation
import YingjiCore

/// SHA-256 over the previous entry's hash and this entry's canonical JSON, as lowercase hex.
public struct SHA256ChainHasher: ChainHasher {
    public init() {}

    public func hash(previous: String, canonical: Data) -> String {
        var hasher = SHA256()
        var previous = previous
        previous.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        hasher.update(data: canonical)
        return hasher.finalize().withUnsafeBytes { hexString($0) }
    }
}
