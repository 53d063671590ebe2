import Foundation

extension StringProtocol {
    /// Whether the text is empty or only white space and line breaks: what
    /// `trimmingCharacters(in: .whitespacesAndNewlines).isEmpty` says, without building the
    /// trimmed copy. It stops at the first letter, so a filled-in field costs one check, which
    /// matters on the report intake path.
    public var isBlank: Bool {
        for scalar in unicodeScalars {
            switch scalar.value {
            case 0x09...0x0D, 0x20: continue
            case 0..<0x80: return false
            default: if !scalar.isFoundationSpace { return false }
            }
        }
        return true
    }
}

extension Unicode.Scalar {
    /// In Foundation's `.whitespacesAndNewlines`: Unicode's White_Space, and also U+200B ZERO
    /// WIDTH SPACE, which Foundation on Linux still counts as a space (a test compares every
    /// scalar of the Basic Multilingual Plane).
    var isFoundationSpace: Bool { properties.isWhitespace || value == 0x200B }
}

extension String {
    /// `trimmingCharacters(in: set)` for a set of white space (`.whitespaces`,
    /// `.whitespacesAndNewlines`, `.newlines`), returning the text itself when neither end is white
    /// space, as it almost always is, instead of a copy made through Foundation.
    public func trimming(_ set: CharacterSet) -> String {
        guard let first = unicodeScalars.first, let last = unicodeScalars.last else { return self }
        if first.isFoundationSpace || last.isFoundationSpace { return trimmingCharacters(in: set) }
        return self
    }
}
