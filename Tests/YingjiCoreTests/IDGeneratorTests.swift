import Testing
import YingjiCore

@Suite struct IDGeneratorTests {
    @Test func idsArePrefixedSixteenLettersOfTheAlphabetAndDoNotRepeat() {
        let generator = RandomIDGenerator()
        let allowed = Set("abcdefghijkmnpqrstuvwxyz23456789")
        var seen = Set<String>()
        var lettersUsed = Set<Character>()
        for _ in 0..<20_000 {
            let id = generator.next("inc")
            #expect(id.hasPrefix("inc_"))
            let letters = id.dropFirst(4)
            #expect(letters.count == 16)
            #expect(letters.allSatisfy(allowed.contains), "\(id)")
            lettersUsed.formUnion(letters)
            seen.insert(id)
        }
        #expect(seen.count == 20_000)
        // Every letter of the alphabet turns up, in every position's range of bits.
        #expect(lettersUsed == allowed)
    }
}
