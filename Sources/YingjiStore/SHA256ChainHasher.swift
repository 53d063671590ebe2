import Crypto
import Foundation
import YingjiCore

/// SHA-256 over the previous entry's hash and this entry's canonical JSON, as lowercase hex.
public struct SHA256ChainHasher: ChainHasher {
    public init() {}

    public func hash(previous: String, canonical: Data) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(previous.utf8))
        hasher.update(data: canonical)
        return hexString(hasher.finalize())
    }
}
