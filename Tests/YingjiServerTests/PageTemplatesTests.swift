import Foundation
import Testing
@testable import YingjiServer

/// The page templates are parsed after start-up, not before it: a template that does not parse
/// must still be found by the tests, with its name.
@Suite struct PageTemplatesTests {
    @Test func everyTemplateParses() async throws {
        let pages = try await WebPages.load()
        let library = try pages.templates.parsed()
        #expect(library.getTemplate(named: "board") != nil)
        #expect(library.getTemplate(named: "head") != nil)
        #expect(pages.templates.render(["t": pages.strings], withTemplate: "notfound").contains("<"))
        #expect(pages.templates.render([:], withTemplate: "no-such-template") == "")
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
        #expect(templates.render(["name": "x"], withTemplate: "good") == "")

        try FileManager.default.removeItem(at: directory.appendingPathComponent("broken.mustache"))
        #expect(try PageTemplates(directory: directory).render(["name": "昆玉"], withTemplate: "good") == "<p>昆玉</p>")
    }
}
