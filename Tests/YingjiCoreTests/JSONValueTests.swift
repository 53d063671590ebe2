import Foundation
import Testing
@testable import YingjiCore

/// JSONValue's hand-written JSON must write exactly what JSONEncoder writes (stored timeline
/// hashes cover these bytes) and read what JSONDecoder reads.
@Suite struct JSONValueTests {
    private static let referenceEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private static let keyPieces = ["a", "A", "b", "Z", "_", "9", "10", "é", "中", "事故", "a-b", "😀", "\"", "\\", "\n", "/"]
    private static let stringPieces = keyPieces + ["\u{0}", "\u{1f}", "\u{7f}", "\t", "\r", "\u{8}", "\u{c}", "\u{2028}", " ", "死亡3人"]

    private func randomString<G: RandomNumberGenerator>(_ pieces: [String], _ generator: inout G) -> String {
        (0..<Int(generator.next(upperBound: UInt64(5)))).map { _ in pieces.randomElement(using: &generator)! }.joined()
    }

    private func randomValue<G: RandomNumberGenerator>(_ depth: Int, _ generator: inout G) -> JSONValue {
        switch generator.next(upperBound: UInt64(depth > 3 ? 4 : 6)) {
        case 0: return .string(randomString(Self.stringPieces, &generator))
        case 1: return .int([Int64.min, Int64.max, 0, -1, Int64(generator.next(upperBound: UInt64(1_000_000_000))) - 500_000_000].randomElement(using: &generator)!)
        case 2: return .bool(generator.next(upperBound: UInt64(2)) == 0)
        case 3: return .null
        case 4: return .array((0..<Int(generator.next(upperBound: UInt64(4)))).map { _ in randomValue(depth + 1, &generator) })
        default:
            var fields: [String: JSONValue] = [:]
            // At the top, up to 23 keys: objects of more than 16 are sorted another way than small ones.
            for _ in 0..<Int(generator.next(upperBound: UInt64(depth == 0 ? 24 : 6))) { fields[randomString(Self.keyPieces, &generator)] = randomValue(depth + 1, &generator) }
            return .object(fields)
        }
    }

    @Test func writesWhatJSONEncoderWritesAndReadsItBack() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            let value = randomValue(0, &generator)
            let expected = try Self.referenceEncoder.encode(value)
            #expect(Array(expected) == value.canonicalBytes, "\(value)")
            #expect(try JSONValue.parse(expected) == value)
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(value.canonicalBytes)) == value)
        }
    }

    @Test func readsEscapesWhitespaceAndSurrogatePairs() throws {
        let text = #" { "a" : [ 1 , -2 , true , false , null ] , "s" : "\u4e2d\"\\\/\b\f\n\r\t\ud83d\ude00" } "#
        #expect(try JSONValue.parse(text) == ["a": [1, -2, true, false, .null], "s": "中\"\\/\u{8}\u{c}\n\r\t😀"])
        #expect(try JSONValue.parse("-0") == .int(0))
        #expect(try JSONValue.parse(#"{"a":1,"a":2}"#) == ["a": 2])
    }

    @Test func refusesWhatIsNotJSON() {
        let malformed = ["", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "01", "1.", ".5", "-", "1e", "tru", "nul", "\"abc", "\"\u{1}\"",
                         "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "[1] 2", "{\"a\" 1}", "'a'", "NaN", "[1 2]"]
        for text in malformed {
            #expect(throws: JSONValue.ParseError.self, "\(text)") { try JSONValue.parse(text) }
            do { _ = try JSONValue.parse(text) } catch { #expect(error.kind == .malformed, "\(text)") }
        }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse([0x22, 0xff, 0x22]) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse([0x22, 0x5c, 0x6e, 0xff, 0x22]) }  // after an escape too
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse([0x7b, 0x22, 0xc3, 0x22, 0x3a, 0x31, 0x7d]) }  // a key cut inside a character
    }

    @Test func namesTheFieldOfANumberItCannotHold() throws {
        for (text, path) in [(#"{"figures":{"deaths":1.5}}"#, ["figures", "deaths"]), (#"{"items":[1,2,1e3]}"#, ["items", "2"]),
                             ("99999999999999999999", []), (#"{"x":-9223372036854775809}"#, ["x"])] {
            do {
                _ = try JSONValue.parse(text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.kind == .unsupportedNumber)
                #expect(error.path == path)
            }
        }
        #expect(try JSONValue.parse("-9223372036854775808") == .int(Int64.min))
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        do {
            _ = try JSONValue.parse(deep)
            Issue.record("accepted")
        } catch {
            #expect(error.kind == .tooDeep)
        }
        let allowed = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect((try? JSONValue.parse(allowed)) != nil)
    }

    struct Sample: Codable {
        enum Kind: String, Codable { case fire, flood }
        struct Inner: Codable { var when: Date; var list: [Int] }
        var name: String
        var kind: Kind
        var optional: String?
        var present: Int?
        var flag: Bool
        var big: UInt32
        var inner: Inner
        var map: [String: Inner]
        var byKind: [Kind: Int]
        var nested: [[String]]
    }

    @Test func encodesCodableValuesAsJSONEncoderWithTimestampsWould() throws {
        let when = Timestamp.parse("2026-03-01T02:10:00+08:00")!
        let sample = Sample(name: "昆玉", kind: .fire, optional: nil, present: 3, flag: true, big: 4_000_000_000,
                            inner: .init(when: when, list: [1, 2]), map: ["x": .init(when: when.addingTimeInterval(60), list: [])],
                            byKind: [.flood: 2], nested: [["a"], []])
        let reference = JSONEncoder()
        reference.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        let expected = try JSONDecoder().decode(JSONValue.self, from: reference.encode(sample))
        let encoded = try JSONValue(encoding: sample)
        #expect(encoded == expected)
        #expect(encoded["optional"] == nil)
        #expect(encoded["inner"]?["when"] == "2026-03-01T02:10:00+08:00")
        #expect(throws: EncodingError.self) { try JSONValue(encoding: ["x": 1.5]) }
        #expect(try JSONValue(encoding: [2.0]) == [2])
    }

    struct Stored: Codable, Equatable {
        struct Empty: Codable, Equatable {}
        struct Wrapped: Codable, Equatable {
            var inner: [String: Int]
            init(_ inner: [String: Int]) { self.inner = inner }
            init(from decoder: Decoder) throws { inner = try decoder.singleValueContainer().decode([String: Int].self) }
            func encode(to encoder: Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(inner)
            }
        }
        var at: Date
        var ratio: Double
        var small: Int8
        var large: UInt64
        var missing: Int?
        var maybe: [Int?]
        var empty: Empty
        var wrapped: [Wrapped]
        var nested: [[String: [Date]]]
        var text: String
    }

    @Test func bytesEncoderWritesWhatJSONDecoderReadsBack() throws {
        let stored = Stored(at: Date(timeIntervalSinceReferenceDate: 796_600_000.123456), ratio: 0.1, small: -8, large: UInt64.max, missing: nil,
                            maybe: [1, nil, 3], empty: .init(), wrapped: [.init(["a": 1]), .init([:])],
                            nested: [["d": [Date(timeIntervalSinceReferenceDate: 1.5)]], [:]], text: "引号\"反斜杠\\换行\n\u{01}")
        let bytes = try JSONBytesEncoder.encode(stored)
        #expect(try JSONDecoder().decode(Stored.self, from: Data(bytes)) == stored)
        // The same JSON as Foundation's encoder writes, key order aside.
        let ours = try JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary
        let theirs = try JSONSerialization.jsonObject(with: JSONEncoder().encode(stored)) as? NSDictionary
        #expect(ours != nil && ours == theirs)
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""empty":{}"#))
        #expect(!String(decoding: bytes, as: UTF8.self).contains("missing"))
        #expect(throws: EncodingError.self) { try JSONBytesEncoder.encode([Double.nan]) }
        #expect(String(decoding: try JSONBytesEncoder.encode([2.0, -0.5]), as: UTF8.self) == "[2,-0.5]")
    }

    /// Reported, verified, responding at level 3 (one time with a fraction of a second).
    static func incidentThroughItsLife() throws -> Incident {
        var (incident, _, plan) = try Fixture.openKunyu([.deaths: 3, .seriousInjuries: 12])
        _ = try incident.apply(.verify(note: "电话回拨核实"), plan: plan, actor: "值班员", now: Fixture.at(20), ids: CountingIDs())
        _ = try incident.apply(.startResponse(level: 3, decidedBy: "commander", signedBy: "commander", precondition: nil), plan: plan,
                               actor: "指挥长", now: Fixture.at(40).addingTimeInterval(0.25), ids: CountingIDs())
        return incident
    }

    @Test func bytesEncoderRoundTripsAnIncidentThroughItsLife() throws {
        let incident = try Self.incidentThroughItsLife()
        let bytes = try JSONBytesEncoder.encode(incident)
        #expect(try JSONDecoder().decode(Incident.self, from: Data(bytes)) == incident)
        let ours = try JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary
        let theirs = try JSONSerialization.jsonObject(with: JSONEncoder().encode(incident)) as? NSDictionary
        #expect(ours != nil && ours == theirs)
    }

    /// Keeps a nested container and writes to it after writing to its parent, as Codable allows.
    struct Late: Codable, Equatable {
        enum Keys: String, CodingKey { case tags, id, base }
        var id: String
        var tags: [String]
        init(id: String, tags: [String]) { self.id = id; self.tags = tags }
        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            id = try container.decode(String.self, forKey: .id)
            tags = try container.decode([String].self, forKey: .tags)
        }
        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            var tags = container.nestedUnkeyedContainer(forKey: .tags)
            try container.encode(id, forKey: .id)
            for tag in self.tags { try tags.encode(tag) }
        }
    }

    struct WithSuper: Codable, Equatable {
        enum Keys: String, CodingKey { case name }
        var name: String
        init(name: String) { self.name = name }
        init(from decoder: Decoder) throws { name = try decoder.container(keyedBy: Keys.self).decode(String.self, forKey: .name) }
        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(name, forKey: .name)
            var parent = container.superEncoder().singleValueContainer()
            try parent.encode(1)
        }
    }

    @Test func bytesEncoderFallsBackWhenAValueWritesOutOfOrder() throws {
        let late = Late(id: "x", tags: ["a", "b"])
        let lateBytes = try JSONBytesEncoder.encode([late])
        #expect(try JSONDecoder().decode([Late].self, from: Data(lateBytes)) == [late])
        #expect((try? JSONSerialization.jsonObject(with: Data(lateBytes))) != nil)
        let named = WithSuper(name: "父类")
        let superBytes = try JSONBytesEncoder.encode(named)
        #expect(try JSONDecoder().decode(WithSuper.self, from: Data(superBytes)) == named)
        #expect(String(decoding: try JSONBytesEncoder.encode([Float(0.1)]), as: UTF8.self) == "[0.1]")
    }

    @Test func bytesEncoderWithTimestampsWritesWhatJSONValueEncodingGives() throws {
        let when = Timestamp.parse("2026-03-01T02:10:00+08:00")!
        let sample = Sample(name: "昆玉\"引号", kind: .flood, optional: nil, present: 3, flag: false, big: 4_000_000_000,
                            inner: .init(when: when.addingTimeInterval(0.75), list: [1, -2]), map: ["x": .init(when: when, list: [])],
                            byKind: [.fire: 2], nested: [["a"], []])
        let bytes = try JSONBytesEncoder.encode(sample, dates: .timestamp)
        #expect(try JSONValue.parse(bytes) == JSONValue(encoding: sample))
        #expect(try JSONValue.parse(bytes)["inner"]?["when"] == "2026-03-01T02:10:00+08:00")
        // A JSONValue inside is written canonically, keys in byte order.
        #expect(String(decoding: try JSONBytesEncoder.encode(["v": JSONValue.object(["b": 1, "a": [true, .null]])]), as: UTF8.self)
                == #"{"v":{"a":[true,null],"b":1}}"#)
    }

    @Test func datedBytesAreTheStoredFormAndRewriteToTheTimestampedOne() throws {
        let incident = try Self.incidentThroughItsLife()
        let dated = try JSONBytesEncoder.encodeDated(incident)
        #expect(dated.bytes == (try JSONBytesEncoder.encode(incident)))
        let timestamped = dated.withTimestamps()
        #expect(timestamped == (try JSONBytesEncoder.encode(incident, dates: .timestamp)))
        #expect(timestamped != dated.bytes)
        #expect(String(decoding: timestamped, as: UTF8.self).contains("+08:00"))
        // Dates nested in arrays and dictionaries, and one at the very end of the text.
        let stored = Stored(at: Date(timeIntervalSinceReferenceDate: 796_600_000.123456), ratio: 0.1, small: -8, large: UInt64.max, missing: nil,
                            maybe: [1, nil, 3], empty: .init(), wrapped: [.init(["a": 1]), .init([:])],
                            nested: [["d": [Date(timeIntervalSinceReferenceDate: 1.5), Date(timeIntervalSinceReferenceDate: 2)]], [:]], text: "末")
        let storedDated = try JSONBytesEncoder.encodeDated(stored)
        #expect(storedDated.bytes == (try JSONBytesEncoder.encode(stored)))
        #expect(storedDated.withTimestamps() == (try JSONBytesEncoder.encode(stored, dates: .timestamp)))
        let last = try JSONBytesEncoder.encodeDated([Date(timeIntervalSinceReferenceDate: 800_000_000)])
        #expect(String(decoding: last.withTimestamps(), as: UTF8.self) == #"["2026-05-09T14:13:20+08:00"]"#)
        // A value the one-pass encoder hands to JSONEncoder (whose key order is its own): both
        // forms are still right.
        let mixed = Mixed(at: Date(timeIntervalSinceReferenceDate: 800_000_000), late: Late(id: "x", tags: ["a"]))
        let late = try JSONBytesEncoder.encodeDated(mixed)
        #expect(try JSONDecoder().decode(Mixed.self, from: Data(late.bytes)) == mixed)
        #expect(try JSONValue.parse(late.bytes) == JSONValue.parse(try JSONBytesEncoder.encode(mixed)))
        #expect(try JSONValue.parse(late.withTimestamps()) == JSONValue.parse(try JSONBytesEncoder.encode(mixed, dates: .timestamp)))
        #expect(try JSONValue.parse(late.withTimestamps())["at"] == "2026-05-09T14:13:20+08:00")
    }

    /// A date beside a value that writes out of order: the whole value falls back to JSONEncoder.
    struct Mixed: Codable, Equatable {
        var at: Date
        var late: Late
    }

    @Test func keptRowsAnswerOnlyForAnEqualIncident() throws {
        let rows = IncidentRows(capacity: 2)
        var (incident, _, plan) = try Fixture.openKunyu([.deaths: 3])
        let first = try rows.row(for: incident)
        #expect(first.bytes == (try JSONBytesEncoder.encode(incident)))
        #expect(rows.hitCount == 0)
        // An equal incident (a copy, or the same state decoded from its row) is answered from the kept row.
        let copy = incident
        #expect(try rows.row(for: copy).bytes == first.bytes)
        #expect(try rows.row(for: JSONDecoder().decode(Incident.self, from: Data(first.bytes))).bytes == first.bytes)
        #expect(rows.hitCount == 2)
        // Same id and version, another state (as a writer that lost would have): encoded anew.
        var other = incident
        other.figures[.deaths] = 4
        #expect(try rows.row(for: other).bytes == (try JSONBytesEncoder.encode(other)))
        #expect(try rows.row(for: incident).bytes == (try JSONBytesEncoder.encode(incident)))
        #expect(rows.hitCount == 2)
        _ = try incident.apply(.verify(note: "核实"), plan: plan, actor: "值班员", now: Fixture.at(20), ids: CountingIDs())
        #expect(try rows.row(for: incident).withTimestamps() == (try JSONBytesEncoder.encode(incident, dates: .timestamp)))
        // Bounded: a third incident when two are kept starts again from empty.
        for id in ["inc-3", "inc-4"] {
            let (another, _) = try Incident.open(id: id, plan: plan, jurisdiction: "kunyu", report: Fixture.kunyuReport([.deaths: 1]),
                                                 knownAt: Fixture.t0, actor: "值班员", now: Fixture.t0, ids: CountingIDs())
            #expect(try rows.row(for: another).bytes == (try JSONBytesEncoder.encode(another)))
        }
        #expect(rows.count == 1)
    }

    struct Ratios: Encodable {
        struct Item: Encodable { var name: String; var ratio: Double }
        var items: [Item]
    }

    @Test func bytesEncoderNamesThePathOfAValueItCannotWrite() {
        do {
            _ = try JSONBytesEncoder.encode(Ratios(items: [.init(name: "a", ratio: 1), .init(name: "b", ratio: .infinity)]))
            Issue.record("infinity was written")
        } catch let EncodingError.invalidValue(_, context) {
            #expect(context.codingPath.map(\.stringValue) == ["items", "1", "ratio"])
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// Writes through containers it asks for by key and by position, as a hand-written encoder may.
    struct NestedRatios: Encodable {
        enum Keys: String, CodingKey { case outer }
        enum InnerKeys: String, CodingKey { case item }
        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            var nested = container.nestedContainer(keyedBy: InnerKeys.self, forKey: .outer)
            var list = nested.nestedUnkeyedContainer(forKey: .item)
            try list.encode(Ratios.Item(name: "a", ratio: 1))
            try list.encode(Ratios.Item(name: "b", ratio: .nan))
        }
    }

    @Test func bytesEncoderNamesThePathThroughNestedContainers() {
        do {
            _ = try JSONBytesEncoder.encode(NestedRatios())
            Issue.record("NaN was written")
        } catch let EncodingError.invalidValue(_, context) {
            #expect(context.codingPath.map(\.stringValue) == ["outer", "item", "1", "ratio"])
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func timelineEntryHashesTheCanonicalObjectOfItsFields() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<500 {
            let entry = TimelineEntry(
                incidentID: randomString(Self.stringPieces, &generator), sequence: Int(generator.next(upperBound: UInt64(100_000))),
                at: Date(timeIntervalSince1970: Double(generator.next(upperBound: UInt64(4_000_000_000))) + 0.5),
                actor: randomString(Self.stringPieces, &generator), kind: randomString(Self.keyPieces, &generator),
                payload: randomValue(0, &generator), corrects: round % 2 == 0 ? nil : round, previousHash: "p", hash: "h")
            // The definition: every field but the hash, as one canonical object.
            let object: JSONValue = [
                "incidentID": .string(entry.incidentID), "sequence": .int(Int64(entry.sequence)), "at": .string(Timestamp.format(entry.at)),
                "actor": .string(entry.actor), "kind": .string(entry.kind), "payload": entry.payload,
                "corrects": entry.corrects.map { .int(Int64($0)) } ?? .null,
            ]
            #expect(Array(entry.canonicalData) == object.canonicalBytes)
        }
    }

    @Test func timestampsAreWhatAFormatterInBeijingTimeWrites() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'+08:00'"
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let date = Date(timeIntervalSince1970: Double(generator.next(upperBound: UInt64(4_102_444_800))) + 0.999)
            #expect(Timestamp.format(date) == formatter.string(from: date))
        }
    }

    /// Strings are copied eight bytes at a time while none needs an escape: every special
    /// character is still escaped, wherever it falls in a string of any length.
    @Test func stringsAreEscapedWhereverTheCharacterFalls() throws {
        func reference(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\u{08}": out += "\\b"
                case "\t": out += "\\t"
                case "\n": out += "\\n"
                case "\u{0C}": out += "\\f"
                case "\r": out += "\\r"
                case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        let pieces: [String] = ["\"", "\\", "\n", "\u{01}", "\u{1F}", "\t", "\u{08}", "\u{0C}", "\r", "a", "中", "é", "\u{7F}", " ", "!", "]", "#", "[",
                                "\u{80}", "😀", "\u{0}"]
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for length in 0..<40 {
            for _ in 0..<40 {
                var text = ""
                for _ in 0..<length {
                    seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    // Mostly plain letters, so long runs without an escape are common.
                    let pick = Int(seed >> 33) % (pieces.count * 3)
                    text += pick < pieces.count ? pieces[pick] : (pick % 2 == 0 ? "x" : "字")
                }
                var written: [UInt8] = []
                JSONText.writeString(text, into: &written)
                #expect(String(decoding: written, as: UTF8.self) == reference(text), "\(Array(text.utf8))")
            }
        }
    }

    /// Whole seconds are written as their digits, other dates as the shortest number that reads back.
    @Test func storedDatesAreTheNumbersJSONDecoderReadsBack() throws {
        for seconds in [793_995_000, 793_995_240.25, 0, -0.0, -1, -1.5, 1e15 - 1, 1e15, 1e16, 0.1, 1e-7, 123_456_789.000_001] as [Double] {
            let date = Date(timeIntervalSinceReferenceDate: seconds)
            var expected = seconds.description
            if expected.hasSuffix(".0") { expected.removeLast(2) }
            let written = String(decoding: try JSONBytesEncoder.encode([date]), as: UTF8.self)
            #expect(written == "[\(expected)]", "\(seconds)")
            #expect(try JSONDecoder().decode([Date].self, from: Data(written.utf8)) == [date], "\(seconds)")
        }
    }
}
