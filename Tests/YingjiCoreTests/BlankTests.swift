import Foundation
import Testing
import YingjiCore

/// `isBlank` says what Foundation's trimming says, without the trimmed copy.
@Suite struct BlankTests {
    @Test func blankAndFilledTexts() {
        #expect("".isBlank)
        #expect(" \t\r\n".isBlank)
        #expect("\u{3000}\u{00A0}\u{2028}\u{0085}".isBlank)  // ideographic space, no-break space, line separator, NEL
        #expect(!"昆玉".isBlank)
        #expect(!"  x  ".isBlank)
        #expect("\u{200B}".isBlank)  // zero-width space: not White_Space in Unicode, but blank to Foundation, so blank here too
        #expect(!" \u{301}".isBlank)  // a combining mark left after the space
        #expect("  ".dropFirst().isBlank)
    }

    @Test func agreesWithFoundationOnEveryScalarAndOnRandomText() {
        // Every scalar of the Basic Multilingual Plane alone, then mixes of white space and other text.
        for value in UInt32(0)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = String(Character(scalar))
            #expect(text.isBlank == text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "U+\(String(value, radix: 16))")
        }
        let pieces = [" ", "\t", "\n", "\r\n", "\u{3000}", "\u{00A0}", "\u{2029}", "\u{000B}", "a", "中", "\u{200B}", "\u{301}", "\u{1680}"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let text = (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            #expect(text.isBlank == text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(Array(text.unicodeScalars))")
        }
    }
}

@Suite struct TrimmingTests {
    @Test func trimsAsFoundationDoesForEachSetOfWhiteSpace() {
        let pieces = [" ", "\t", "\n", "\u{3000}", "\u{00A0}", "\u{2028}", "\u{200B}", "a", "中", "\u{301}", "b c"]
        var generator = SystemRandomNumberGenerator()
        for set in [CharacterSet.whitespaces, .whitespacesAndNewlines, .newlines] {
            #expect("".trimming(set) == "")
            for _ in 0..<2000 {
                let text = (0..<Int.random(in: 0...5, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
                #expect(text.trimming(set) == text.trimmingCharacters(in: set), "\(Array(text.unicodeScalars))")
            }
        }
        #expect(" 火灾 ".trimming(.whitespaces) == "火灾")
        #expect("火灾\n".trimming(.whitespaces) == "火灾\n")
    }
}
