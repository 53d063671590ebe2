import Foundation
import Testing
import YingjiCore

@Suite struct IDGeneratorTests {
    @Test func idsArePrefixedTwentyLettersOfTheAlphabetAndDoNotRepeat() {
        let generator = RandomIDGenerator()
        let allowed = Set("abcdefghijkmnpqrstuvwxyz23456789")
        var seen = Set<String>()
        var lettersUsed = Set<Character>()
        for _ in 0..<20_000 {
            let id = generator.next("inc")
            #expect(id.hasPrefix("inc_"))
            let letters = id.dropFirst(4)
            #expect(letters.count == 20)
            #expect(letters.allSatisfy(allowed.contains), "\(id)")
            lettersUsed.formUnion(letters.dropFirst(9))
            seen.insert(id)
        }
        #expect(seen.count == 20_000)
        // Any prefix is written before the underscore as it is.
        #expect(generator.next("").utf8.count == 21 && generator.next("").hasPrefix("_"))
        let long = generator.next("warning_lift")
        #expect(long.hasPrefix("warning_lift_") && long.utf8.count == 12 + 21)
        // Every letter of the alphabet turns up in the random part, in every position's range of bits.
        #expect(lettersUsed == allowed)
    }

    @Test func idsBeginWithTheSecondTheyWereMadeAndSortByIt() {
        let made = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-12-01
        let earlier = RandomIDGenerator(now: { made }).next("inc")
        let later = RandomIDGenerator(now: { made.addingTimeInterval(1) }).next("inc")
        let muchLater = RandomIDGenerator(now: { made.addingTimeInterval(86_400 * 365) }).next("inc")
        #expect(RandomIDGenerator.madeAt(earlier) == made)
        #expect(RandomIDGenerator.madeAt(later) == made.addingTimeInterval(1))
        #expect(RandomIDGenerator.madeAt(muchLater) == made.addingTimeInterval(86_400 * 365))
        // Byte order, as an index sorts them: whatever the random letters, a later second sorts after.
        for _ in 0..<200 {
            let first = RandomIDGenerator(now: { made }).next("inc")
            let second = RandomIDGenerator(now: { made.addingTimeInterval(1) }).next("inc")
            #expect(Array(first.utf8).lexicographicallyPrecedes(Array(second.utf8)), "\(first) < \(second)")
        }
        #expect(Array(later.utf8).lexicographicallyPrecedes(Array(muchLater.utf8)))
        // Within a second, by the 1/1024 of it: ids made two milliseconds apart sort in that order,
        // and every id of one second sorts before the next second's.
        var previous = RandomIDGenerator(now: { made }).next("inc")
        for step in 1...511 {
            let at = made.addingTimeInterval(Double(step) * 2 / 1024)
            let id = RandomIDGenerator(now: { at }).next("inc")
            #expect(Array(previous.utf8).lexicographicallyPrecedes(Array(id.utf8)), "\(previous) < \(id)")
            #expect(RandomIDGenerator.madeAt(id) == made)
            previous = id
        }
        #expect(Array(previous.utf8).lexicographicallyPrecedes(Array(later.utf8)))
        #expect(RandomIDGenerator.madeAt("inc") == nil)
        #expect(RandomIDGenerator.madeAt("inc_0000000") == nil)  // 0 is not a letter of the alphabet
    }

    @Test func idsMadeOnManyThreadsAtOnceDoNotRepeat() async {
        // The random words are drawn for many ids at once and shared: none may be handed out twice.
        let generator = RandomIDGenerator()
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<8 { group.addTask { (0..<2_000).map { _ in generator.next("tl") } } }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(ids.count == 16_000)
        #expect(Set(ids).count == 16_000)
        #expect(Set(ids.map { $0.suffix(11) }).count == 16_000)
    }
}
