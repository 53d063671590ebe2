import Foundation
import Testing
@testable import YingjiCore
import YingjiPlans

/// `plan check` on broken plans: each error it claims to find, found in a file that has it.
@Suite struct PlanCheckErrorTests {
    /// A small valid plan; each test breaks one thing in it.
    static let valid = """
    id: mini
    name: 测试预案
    inherits: national
    jurisdiction: {name: 测试县, level: county}
    issuer: 测试县人民政府
    year: 2026
    response:
      source: "4.2"
      levels:
        - {level: 1, decides: [chief], signs: [chief]}
        - {level: 2, decides: [chief], signs: [chief]}
        - {level: 3, decides: [chief], signs: [chief]}
        - {level: 4, decides: [chief], signs: [chief]}
      defaultLevels: {1: 1, 2: 2, 3: 3, 4: 4}
      scope: [{grades: [1, 2, 3, 4], mode: lead, source: "1.5"}]
      ending: {who: starter, text: 谁启动、谁关闭, source: "4.8"}
    reporting:
      chain:
        - {level: county, body: 县应急管理局}
        - {level: prefecture, body: 市应急管理局}
      rules: []
    command:
      headquarters: {name: 指挥部, source: "2.1"}
      office: {name: 办公室, source: "2.2"}
      roles: [{id: chief, name: 总指挥}]
      units: [{name: 县应急管理局}]
      onSite:
        source: "2.5"
        groups: [{id: rescue, name: 抢险救援组, lead: 县应急管理局}]
    """

    static func findings(_ yaml: String) throws -> [PlanFinding] { try TestPlans.compose(yaml).check() }

    static func codes(_ yaml: String) throws -> [String] { try findings(yaml).filter { $0.severity == .error }.map(\.code) }

    static func withRules(_ rules: String) -> String {
        valid.replacingOccurrences(of: "  rules: []", with: "  rules:\n" + rules)
    }

    @Test func validPlanHasNoErrors() throws {
        #expect(try Self.codes(Self.valid) == [])
    }

    @Test func unknownRole() throws {
        let findings = try Self.findings(Self.valid.replacingOccurrences(of: "{level: 3, decides: [chief], signs: [chief]}", with: "{level: 3, decides: [chief], signs: [ghost]}"))
        #expect(findings.map(\.code) == ["ref.unknown-role"])
        #expect(findings.first?.message.contains("「ghost」") == true)
        #expect(findings.first?.message.contains("三级响应") == true)
    }

    @Test func unknownCategoryUnitGroupAndRule() throws {
        let yaml = Self.withRules("""
            - {id: a, when: {categories: [nowhere]}, from: x, to: y, channel: phone, withinMinutes: 5, group: ghost-group, after: missing-rule, overrides: [nope], source: "4.1"}
        """).replacingOccurrences(of: "lead: 县应急管理局}", with: "lead: 县公安局}")
        #expect(try Set(Self.codes(yaml)) == ["ref.unknown-category", "ref.unknown-group", "ref.unknown-rule", "ref.unknown-unit"])
        #expect(try Self.codes(yaml).filter { $0 == "ref.unknown-rule" }.count == 2)
    }

    @Test func circularAfterLinks() throws {
        let yaml = Self.withRules("""
            - {id: a, after: b, from: x, to: y, channel: phone, withinMinutes: 5, source: "4.1"}
            - {id: b, after: a, from: y, to: z, channel: phone, withinMinutes: 5, source: "4.1"}
        """)
        let findings = try Self.findings(yaml).filter { $0.code == "rule.cycle" }
        #expect(findings.count == 2)
        #expect(findings.first?.message.contains("a → b → a") == true)
        // The schedule still terminates and gives both rules a deadline.
        let due = try TestPlans.compose(yaml).schedule(grade: 4)
        #expect(due["a"]?.dueAt != nil && due["b"]?.dueAt != nil)
    }

    @Test func ruleWithoutSource() throws {
        let yaml = Self.withRules("""
            - {id: a, from: x, to: y, channel: phone, withinMinutes: 5}
        """)
        let findings = try Self.findings(yaml)
        #expect(findings.map(\.code) == ["rule.no-source"])
        #expect(findings.first?.message.contains("inline.yaml:") == true)
        #expect(findings.first?.message.contains("reporting.rules[0].source") == true)
    }

    @Test func duplicateIDs() throws {
        let yaml = Self.valid.replacingOccurrences(of: "roles: [{id: chief, name: 总指挥}]", with: "roles: [{id: chief, name: 总指挥}, {id: chief, name: 副总指挥}]")
        #expect(try Self.codes(yaml) == ["id.duplicate"])
    }

    @Test func overlappingGrades() throws {
        let yaml = Self.valid + """

        grading:
          source: "1.4"
          grades:
            - {grade: 3, criteria: [{metric: deaths, min: 3, max: 10}]}
            - {grade: 4, criteria: [{metric: deaths, min: 1, max: 4}]}
        """
        let overlaps = try Self.findings(yaml).filter { $0.code == "grading.overlap" }
        #expect(overlaps.compactMap(\.range) == [ValueRange(metric: .deaths, low: 3, high: 4, categories: [], grades: [3, 4])])
        #expect(overlaps.first?.severity == .error)
    }

    @Test func defaultLevelWithoutAuthority() throws {
        let yaml = Self.valid.replacingOccurrences(of: "    - {level: 4, decides: [chief], signs: [chief]}\n", with: "")
        #expect(try Self.codes(yaml) == ["response.no-authority"])
    }
}

/// Files that cannot be read at all: the error names the file, the line and the field.
@Suite struct PlanFileErrorTests {
    static func error(_ yaml: String) -> PlanFileError? {
        do {
            _ = try TestPlans.compose(yaml)
            return nil
        } catch let error as PlanFileError {
            return error
        } catch {
            return nil
        }
    }

    @Test func malformedYAMLGivesTheLine() throws {
        let broken = PlanCheckErrorTests.valid.replacingOccurrences(of: "issuer: 测试县人民政府", with: "issuer: [测试县人民政府")
        let error = try #require(Self.error(broken))
        #expect(error.line != nil && error.line! >= 5)
        #expect(error.message.hasPrefix("YAML 格式错误"))
    }

    @Test func unknownFieldIsRejectedWithItsLine() throws {
        let yaml = PlanCheckErrorTests.withRules("""
            - {id: a, from: x, to: y, channel: phone, withinMinute: 5, source: "4.1"}
        """)
        let error = try #require(Self.error(yaml))
        #expect(error.field == "reporting.rules[0]")
        #expect(error.message.contains("withinMinutes"))
        let misspelt = PlanCheckErrorTests.valid.replacingOccurrences(of: "issuer:", with: "isuer:")
        let unknown = try #require(Self.error(misspelt))
        #expect(unknown.field == "isuer")
        #expect(unknown.line == 5)
    }

    @Test func badValuesNameTheField() throws {
        let grading = """

        grading:
          source: "1.4"
          grades:
            - {grade: 3, criteria: [{metric: %@}]}
        """
        let cases: [(String, String, String)] = [
            ("deaths, min: 10, max: 3", "grading.grades[0].criteria[0].max", "上限"),
            ("death, min: 1", "grading.grades[0].criteria[0].metric", "未知取值「death」"),
            ("directLoss, min: 一千万", "grading.grades[0].criteria[0].min", "金额无法识别"),
            ("deaths, min: -1", "grading.grades[0].criteria[0].min", "非负整数"),
        ]
        for (criterion, field, message) in cases {
            let error = try #require(Self.error(PlanCheckErrorTests.valid + grading.replacingOccurrences(of: "%@", with: criterion)))
            #expect(error.field == field)
            #expect(error.message.contains(message), "\(error.message)")
            #expect(error.line == 33)
        }
    }

    @Test func badChannelListsTheChoices() throws {
        let yaml = PlanCheckErrorTests.withRules("""
            - {id: a, from: x, to: y, channel: fax, withinMinutes: 5, source: "4.1"}
        """)
        let error = try #require(Self.error(yaml))
        #expect(error.field == "reporting.rules[0].channel")
        #expect(error.message.contains("phone-or-written"))
    }
}
