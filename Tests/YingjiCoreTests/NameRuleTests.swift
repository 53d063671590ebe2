import Foundation
import Testing
import YingjiCore

/// Identifier checks, byte by byte, against the regular expressions they replace.
@Suite struct NameRuleTests {
    @Test func acceptsAndRefusesWhatTheRuleSays() {
        #expect(NameRule.jurisdiction.matches("kunyu"))
        #expect(NameRule.jurisdiction.matches("kunyu-224"))
        #expect(NameRule.jurisdiction.matches("7"))
        #expect(NameRule.jurisdiction.matches(String(repeating: "a", count: 63)))
        #expect(!NameRule.jurisdiction.matches(String(repeating: "a", count: 64)))
        #expect(!NameRule.jurisdiction.matches(""))
        #expect(!NameRule.jurisdiction.matches("-kunyu"))
        #expect(!NameRule.jurisdiction.matches("Kunyu"))
        #expect(!NameRule.jurisdiction.matches("kunyu.224"))
        #expect(!NameRule.jurisdiction.matches("昆玉"))
        #expect(!NameRule.jurisdiction.matches("kunyu\n"))
        #expect(NameRule.login.matches("kunyu-duty-officer"))
        #expect(NameRule.login.matches("a.b_c"))
        #expect(!NameRule.login.matches("a"))
        #expect(!NameRule.login.matches(String(repeating: "a", count: 33)))
        #expect(NameRule.login.matches(String(repeating: "a", count: 32)))
        #expect(NameRule.organisation.matches("org.kunyu-chem_1"))
        #expect(NameRule.organisation.matches(String(repeating: "a", count: 63)))
        #expect(!NameRule.organisation.matches(String(repeating: "a", count: 64)))
        #expect(NameRule.schema.matches(String(repeating: "a", count: 63)))
        #expect(!NameRule.schema.matches(String(repeating: "a", count: 64)))
        #expect(!NameRule.login.matches("kunyu\r\n"))
        #expect(NameRule.schema.matches("_yingji_2"))
        #expect(!NameRule.schema.matches("2yingji"))
        #expect(!NameRule.schema.matches("yingji-2"))
    }

    @Test func agreesWithTheRegularExpressionsOnRandomText() {
        let rules: [(NameRule, String)] = [
            (.jurisdiction, #"^[a-z0-9][a-z0-9-]{0,62}$"#),
            (.organisation, #"^[a-z0-9][a-z0-9._-]{0,62}$"#),
            (.login, #"^[a-z0-9][a-z0-9._-]{1,31}$"#),
            (.schema, #"^[a-z_][a-z0-9_]{0,62}$"#),
        ]
        // Mostly allowed characters, so that accepted texts come up as well as refused ones.
        let alphabet = Array("abz0189-._abz0189_A/ 中")
        var generator = SystemRandomNumberGenerator()
        for (rule, pattern) in rules {
            for _ in 0..<2000 {
                // Short texts, and texts around each rule's longest.
                let length = Bool.random(using: &generator) ? Int.random(in: 0...4, using: &generator) : Int.random(in: 28...66, using: &generator)
                let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
                #expect(rule.matches(text) == (text.range(of: pattern, options: .regularExpression) != nil), "\(pattern) on \(text)")
            }
        }
    }
}
