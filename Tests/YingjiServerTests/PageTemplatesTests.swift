import Foundation
import HTTPTypes
import Hummingbird
import Testing
@testable import YingjiCore
@testable import YingjiServer

/// The page templates are parsed after start-up, not before it: a template that does not parse
/// must still be found by the tests, with its name.
@Suite struct PageTemplatesTests {
    @Test func everyTemplateParses() async throws {
        let pages = try await WebPages.load()
        let library = try pages.templates.parsed()
        #expect(library.getTemplate(named: "board") != nil)
        #expect(library.getTemplate(named: "head") != nil)
        #expect(pages.templates.render(["t": pages.strings], withTemplate: "notfound")?.contains("<") == true)
        #expect(pages.templates.render([:], withTemplate: "no-such-template") == "")
    }

    /// `serve` parses the templates once it listens, on a thread of its own; a page asked for
    /// before that parses them itself.
    @Test func templatesLoadedUnparsedParseOnFirstUseOrOnTheirThread() async throws {
        let unparsed = try await WebPages.load(parseNow: false)
        #expect(!unparsed.templates.isParsed)
        #expect(unparsed.templates.render(["t": unparsed.strings], withTemplate: "notfound")?.contains("<") == true)
        #expect(unparsed.templates.isParsed)

        let later = try await WebPages.load(parseNow: false)
        #expect(!later.templates.isParsed)
        let failures = Failures()
        later.parseTemplates { failures.add($0) }
        let deadline = Date().addingTimeInterval(30)
        while !later.templates.isParsed && Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(later.templates.isParsed)
        #expect(failures.count == 0)
        #expect(later.templates.render(["t": later.strings], withTemplate: "notfound")?.contains("<") == true)

        // A page asked for first waits, suspended, for a parse it starts itself or one under way.
        let waited = try await WebPages.load(parseNow: false)
        await waited.templates.ready()
        #expect(waited.templates.isParsed)
        let racing = try await WebPages.load(parseNow: false)
        racing.parseTemplates { failures.add($0) }
        await racing.templates.ready()
        #expect(racing.templates.isParsed)
        #expect(racing.templates.render(["t": racing.strings], withTemplate: "notfound")?.contains("<") == true)
        #expect(failures.count == 0)

        // A template that does not parse is reported from that thread.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yingji-templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "<p>{{#open}}never closed</p>".write(to: directory.appendingPathComponent("broken.mustache"), atomically: true, encoding: .utf8)
        let broken = WebPages(templates: try PageTemplates(directory: directory), strings: [:], assets: [:], scriptStrings: "{}", clock: SystemClock())
        broken.parseTemplates { failures.add($0) }
        while failures.count == 0 && Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(failures.messages.count == 1)
        #expect(failures.messages.first?.contains("broken.mustache") == true)
        // Waiting for templates that do not parse ends too; their pages then answer 500.
        await broken.templates.ready()
        #expect(broken.templates.render([:], withTemplate: "broken") == nil)
    }

    /// Through the router, before the parse: a stylesheet is answered without waiting for it; a
    /// page waits for it (and then is whole), and so does a page answering a refusal.
    @Test func beforeTheParseAssetsAnswerAtOncePagesWait() async throws {
        let pages = try await WebPages.load(parseNow: false)
        try await TestServer.start(.sqlite, pages: pages).test { client in
            let css = try await client.execute(uri: "/static/site.css", method: .get)
            #expect(css.status == .ok)
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            #expect(css.body.readableBytes > 1000)
            #expect(!pages.templates.isParsed)

            // A sign-in form posted from another site: refused with a page (the error template).
            var foreign: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            foreign[.origin] = "https://evil.example"
            let refused = try await client.execute(uri: "/login", method: .post, headers: foreign, body: ByteBuffer(string: "login=kunyu-viewer&password=x"))
            #expect(refused.status == .forbidden)
            #expect(refused.headers[.contentType] == "text/html; charset=utf-8")
            #expect(String(buffer: refused.body).contains("</html>"))
            #expect(pages.templates.isParsed)
        }
        let later = try await WebPages.load(parseNow: false)
        try await TestServer.start(.sqlite, pages: later).test { client in
            let login = try await client.execute(uri: "/login", method: .get)
            #expect(login.status == .ok)
            #expect(String(buffer: login.body).contains(#"<label for="login">登录名</label>"#))
            #expect(later.templates.isParsed)
        }
    }

    @Test func aTemplateThatDoesNotParseIsNamed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yingji-templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "<p>{{name}}</p>".write(to: directory.appendingPathComponent("good.mustache"), atomically: true, encoding: .utf8)
        try "<p>{{#open}}never closed</p>".write(to: directory.appendingPathComponent("broken.mustache"), atomically: true, encoding: .utf8)
        try "not a template".write(to: directory.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let templates = try PageTemplates(directory: directory)
        #expect(throws: (any Error).self) { try templates.parsed() }
        do {
            _ = try templates.parsed()
        } catch {
            #expect("\(error)".contains("broken.mustache"))
        }
        #expect(templates.render(["name": "x"], withTemplate: "good") == nil)
        // Its pages answer 500 with a message, not an empty page.
        let pages = WebPages(templates: templates, strings: ["templatesUnparsed": "模板坏了"], assets: [:], scriptStrings: "{}", clock: SystemClock())
        let answer = pages.fragment("good", values: ["name": "x"])
        #expect(answer.status == .internalServerError)
        #expect(answer.headers[.contentType] == "text/plain; charset=utf-8")

        try FileManager.default.removeItem(at: directory.appendingPathComponent("broken.mustache"))
        #expect(try PageTemplates(directory: directory).render(["name": "昆玉"], withTemplate: "good") == "<p>昆玉</p>")
    }
}

/// The detail answer is the incident's stored row with its dates rewritten, then the computed
/// fields, in one object: each key once, the incident's own fields as the timestamped encoding
/// writes them.
@Suite struct DetailAnswerTests {
    /// Top-level member count, read off the bytes (a parsed dictionary would hide a repeated key).
    static func topLevelMembers(_ bytes: Data) -> Int {
        var depth = 0, members = 0, inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ":") where depth == 1: members += 1
            default: break
            }
        }
        return members
    }

    @Test func detailIsTheRowThenTheComputedFieldsEachKeyOnce() async throws {
        let test = try await TestServer.start(.sqlite)
        try await test.test { client in
            let id = try #require(try await create(client)["id"] as? String)
            var incident = try await test.server.incidents.incident(id)
            let plan = test.server.catalog.plan(forJurisdiction: incident.jurisdiction)
            for grade in [incident.grade, nil] {
                incident.grade = grade
                let detail = IncidentView.detail(incident, plan: plan)
                let parsed = try #require(try JSONSerialization.jsonObject(with: detail) as? [String: Any])
                #expect(Self.topLevelMembers(detail) == parsed.count)
                let own = try #require(try JSONSerialization.jsonObject(with: Data(try JSONBytesEncoder.encode(incident, dates: .timestamp))) as? [String: Any])
                for (key, value) in own { #expect((parsed[key] as? NSObject) == (value as? NSObject), "\(key)") }
                for key in ["statusName", "nextDeadline", "overdueCount", "allowedTransitions", "planName", "authority", "terminationConditions"] {
                    #expect(parsed[key] != nil, "\(key)")
                }
                #expect(parsed["grade"] != nil)
                if grade == nil { #expect(parsed["grade"] is NSNull) }
                // Nothing else: the incident's own keys, the computed ones and `grade`.
                let computed: Set<String> = ["grade", "statusName", "nextDeadline", "overdueCount", "allowedTransitions", "planName",
                                             "categoryName", "authority", "terminationConditions"]
                #expect(Set(parsed.keys) == Set(own.keys).union(computed))
                #expect(String(decoding: detail, as: UTF8.self).hasPrefix(#"{"id":"#))
            }
        }
    }

    /// The authority and the termination conditions are written once per plan version and level
    /// and then copied: each answer still shows its own level's authority, and its own confirmations.
    @Test func planPartsOfTheDetailFollowTheLevelAndTheConfirmations() async throws {
        let test = try await TestServer.start(.sqlite)
        try await test.test { client in
            let id = try #require(try await create(client)["id"] as? String)
            let stored = try await test.server.incidents.incident(id)
            let plan = try #require(test.server.catalog.plan(forJurisdiction: stored.jurisdiction))
            func detail(_ incident: Incident) throws -> [String: Any] {
                try #require(try JSONSerialization.jsonObject(with: IncidentView.detail(incident, plan: plan)) as? [String: Any])
            }
            #expect(stored.grade?.grade == 3 && stored.response == nil)
            // No response yet (the grade's level, 3), then each level in force, then the grade's again.
            for level in [nil, 4, 2, 3, 1, nil] as [Int?] {
                var incident = stored
                incident.response = level.map { ResponseRecord(level: $0, decidedBy: "commander", signedBy: "commander", startedAt: stored.knownAt, precondition: nil) }
                let answer = try detail(incident)
                let expected = level ?? 3
                if let authority = plan.response.authority(for: try #require(ResponseLevel(expected))) {
                    let shown = try #require(answer["authority"] as? [String: Any], "\(expected)")
                    #expect(shown["level"] as? Int == expected)
                    #expect((shown["signs"] as? [[String: Any]])?.map { $0["name"] as? String } == authority.signs.map(plan.roleName))
                    #expect((shown["decides"] as? [[String: Any]])?.map { $0["id"] as? String } == authority.decides)
                    #expect(shown["source"] as? String == authority.source.clause)
                } else {
                    #expect(answer["authority"] is NSNull, "\(expected)")
                }
            }
            // One condition confirmed shows who and when; an incident with none, asked after, shows none.
            let first = try #require(plan.termination.conditions.first)
            var confirmed = stored
            confirmed.confirmedConditions = [ConditionConfirmation(conditionID: first.id, by: "指挥长甲", at: stored.knownAt)]
            for incident in [stored, confirmed, stored] {
                let conditions = try #require(try detail(incident)["terminationConditions"] as? [[String: Any]])
                #expect(conditions.map { $0["id"] as? String } == plan.termination.conditions.map(\.id))
                #expect(conditions.map { $0["text"] as? String } == plan.termination.conditions.map(\.text))
                let by = incident.confirmedConditions.isEmpty ? nil : "指挥长甲"
                #expect(conditions.first?["confirmedBy"] as? String == by)
                #expect((conditions.first?["confirmedAt"] as? String) == by.map { _ in Timestamp.format(stored.knownAt) })
                #expect(conditions.dropFirst().allSatisfy { $0["confirmedBy"] is NSNull })
            }
        }
    }
}

/// Errors heard from another thread.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var heard: [String] = []
    func add(_ error: Error) { lock.withLock { heard.append("\(error)") } }
    var messages: [String] { lock.withLock { heard } }
    var count: Int { messages.count }
}
