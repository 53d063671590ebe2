import Foundation
import Testing
@testable import YingjiCore

/// Who sees which incident and who may act for the plan's posts, without a server.
@Suite struct AccessTests {
    // 兵团 (no plan of its own here) → 第十四师昆玉市 → 团场 under the 师市's plan; 兵团 → 另一师
    // (sibling of kunyu, bound to the same plan file).
    static let tree = JurisdictionTree([
        RegisteredJurisdiction(id: "bingtuan", name: "新疆生产建设兵团", parentID: nil, planID: nil),
        RegisteredJurisdiction(id: "kunyu", name: "第十四师昆玉市", parentID: "bingtuan", planID: "kunyu"),
        RegisteredJurisdiction(id: "tuan-224", name: "二二四团", parentID: "kunyu", planID: "kunyu"),
        RegisteredJurisdiction(id: "other", name: "另一师", parentID: "bingtuan", planID: "kunyu"),
    ])

    static func identity(_ grants: RoleGrant...) -> Identity {
        Identity(user: UserAccount(id: "u1", login: "zhang", name: "张三", passwordHash: "x", createdAt: Fixture.t0), grants: grants, method: .token(id: "t"))
    }

    @Test func lineageAndSubtree() {
        #expect(Self.tree.lineage("tuan-224") == ["tuan-224", "kunyu", "bingtuan"])
        #expect(Self.tree.subtree("kunyu") == ["kunyu", "tuan-224"])
        #expect(Self.tree.isWithin("tuan-224", "bingtuan"))
        #expect(!Self.tree.isWithin("other", "kunyu"))
        #expect(!Self.tree.isWithin("kunyu", "tuan-224"))
    }

    @Test func aGrantCoversItsJurisdictionAndBelowNeverParentOrSibling() {
        let duty = Self.identity(RoleGrant(role: .dutyOfficer, jurisdictionID: "kunyu"))
        let seen = ["bingtuan", "kunyu", "tuan-224", "other"].filter { duty.canSee(IncidentAccess(jurisdiction: $0), tree: Self.tree) }
        #expect(seen == ["kunyu", "tuan-224"])
        #expect(duty.may(.fulfilObligation, on: IncidentAccess(jurisdiction: "tuan-224"), tree: Self.tree))
        #expect(!duty.may(.decideResponse, on: IncidentAccess(jurisdiction: "kunyu"), tree: Self.tree))
        #expect(duty.visibility(tree: Self.tree) == [VisibilityClause(jurisdictions: ["kunyu", "tuan-224"], organisationID: nil, involvedOrganisationID: nil)])
    }

    @Test func enterpriseReportersSeeOnlyTheirOwnUnitAndLiaisonsOnlyWhereTheirUnitTakesPart() {
        let reporter = Self.identity(RoleGrant(role: .enterpriseReporter, jurisdictionID: "kunyu", organisationID: "org-chem"))
        let liaison = Self.identity(RoleGrant(role: .memberLiaison, jurisdictionID: "kunyu", organisationID: "org-police"))
        let own = IncidentAccess(jurisdiction: "tuan-224", organisationID: "org-chem", involvedOrganisations: ["org-chem"])
        let other = IncidentAccess(jurisdiction: "kunyu", organisationID: "org-mine", involvedOrganisations: ["org-mine", "org-police"])
        let elsewhere = IncidentAccess(jurisdiction: "other", organisationID: "org-chem", involvedOrganisations: ["org-chem", "org-police"])
        #expect(reporter.canSee(own, tree: Self.tree))
        #expect(!reporter.canSee(other, tree: Self.tree))
        #expect(!reporter.canSee(elsewhere, tree: Self.tree))
        #expect(reporter.may(.followUp, on: own, tree: Self.tree))
        #expect(!reporter.may(.readTimeline, on: own, tree: Self.tree))
        #expect(!liaison.canSee(own, tree: Self.tree))
        #expect(liaison.canSee(other, tree: Self.tree))
        #expect(!liaison.canSee(elsewhere, tree: Self.tree))
        #expect(!liaison.may(.fulfilObligation, on: other, tree: Self.tree))
        let clauses = reporter.visibility(tree: Self.tree)
        #expect(clauses == [VisibilityClause(jurisdictions: ["kunyu", "tuan-224"], organisationID: "org-chem", involvedOrganisationID: nil)])
        #expect(clauses[0].matches(own) && !clauses[0].matches(other) && !clauses[0].matches(elsewhere))
    }

    @Test func planPostsAreHeldOnlyThroughAGrantThatMayDecide() throws {
        let plan = try Fixture.plan("kunyu")
        let incident = IncidentAccess(jurisdiction: "tuan-224")
        let commander = Self.identity(RoleGrant(role: .commander, jurisdictionID: "kunyu"))
        #expect(commander.planRoles(on: incident, plan: plan, tree: Self.tree) == ["commander", "special-hq"])
        let principal = Self.identity(RoleGrant(role: .principal, jurisdictionID: "kunyu"))
        #expect(principal.planRoles(on: incident, plan: plan, tree: Self.tree) == ["party-committee", "principal", "municipality"])
        // The 团场 applies the 师市's plan but its own leaders do not hold the 师市's posts (5.3.2
        // names the 师市's); the 兵团 above, without this plan, takes over by handover instead.
        for grant in [RoleGrant(role: .principal, jurisdictionID: "tuan-224"), RoleGrant(role: .commander, jurisdictionID: "tuan-224"),
                      RoleGrant(role: .principal, jurisdictionID: "bingtuan")] {
            #expect(Self.identity(grant).planRoles(on: incident, plan: plan, tree: Self.tree).isEmpty, "\(grant.text)")
        }
        #expect(Self.tree.isPlanTop("kunyu", plan: "kunyu") && Self.tree.isPlanTop("other", plan: "kunyu"))
        #expect(!Self.tree.isPlanTop("tuan-224", plan: "kunyu") && !Self.tree.isPlanTop("bingtuan", plan: "kunyu"))
        #expect(!Self.tree.isPlanTop("kunyu", plan: "bachu"))
        // A commander of another jurisdiction holds nothing here; a viewer never does.
        #expect(Self.identity(RoleGrant(role: .commander, jurisdictionID: "other")).planRoles(on: incident, plan: plan, tree: Self.tree).isEmpty)
        #expect(Self.identity(RoleGrant(role: .viewer, jurisdictionID: "kunyu")).planRoles(on: incident, plan: plan, tree: Self.tree).isEmpty)
    }

    @Test func grantTextRoundTrips() {
        #expect(RoleGrant(text: "commander@kunyu") == RoleGrant(role: .commander, jurisdictionID: "kunyu"))
        #expect(RoleGrant(text: "enterprise-reporter@kunyu/org-chem")?.organisationID == "org-chem")
        #expect(RoleGrant(text: "enterprise-reporter@kunyu/org-chem")?.text == "enterprise-reporter@kunyu/org-chem")
        #expect(RoleGrant(text: "chief@kunyu") == nil)
        #expect(RoleGrant(text: "commander@") == nil)
        #expect(RoleGrant(text: "commander") == nil)
    }

    @Test func incidentPartiesPutTheReportingUnitFirstWithoutRepeats() throws {
        let parties = IncidentParties(organisationID: "org-chem", involved: ["org-police", "org-chem"])
        #expect(parties.involved == ["org-chem", "org-police"])
        let plan = try Fixture.plan("kunyu")
        let (incident, events) = try Incident.open(id: "inc-1", plan: plan, jurisdiction: "kunyu", report: Fixture.kunyuReport([.deaths: 1]),
                                                   knownAt: Fixture.t0, actor: "张三", now: Fixture.t0, ids: CountingIDs(), parties: parties)
        #expect(incident.access == IncidentAccess(jurisdiction: "kunyu", organisationID: "org-chem", involvedOrganisations: ["org-chem", "org-police"]))
        #expect(events[0].payload["involvedOrganisations"] == ["org-chem", "org-police"])
    }
}

@Suite struct PasswordPolicyTests {
    @Test func refusesWeakPasswordsWithTheReason() {
        #expect(PasswordPolicy.problem("short1", login: "zhang") == "密码至少 10 个字符")
        #expect(PasswordPolicy.problem("abcdefghijkl", login: "zhang") == "密码须至少包含字母、数字、符号中的两类")
        #expect(PasswordPolicy.problem("1234567890", login: "zhang") == "密码须至少包含字母、数字、符号中的两类")
        #expect(PasswordPolicy.problem("Zhang2026!!", login: "zhang") == "密码不能包含登录名")
        #expect(PasswordPolicy.problem("a1a1a1a1a1a1", login: "zhang") == "密码过于简单（不同字符太少）")
        #expect(PasswordPolicy.problem(String(repeating: "应急", count: 12) + "1", login: "zhang")?.hasPrefix("密码最多 72 个字节") == true)
        #expect(PasswordPolicy.problem("昆玉市应急值班2026", login: "zhang") == nil)
        #expect(PasswordPolicy.problem("duty-desk-7415", login: "zhang") == nil)
    }
}

/// docs/security.md prints the permission table; it must say what the code does.
@Suite struct SecurityDocTests {
    @Test func theDocumentedTableIsTheCodesTable() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/security.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let table = try #require(text.components(separatedBy: "<!-- PERMISSIONS -->").dropFirst().first?.components(separatedBy: "<!-- /PERMISSIONS -->").first)
        let rows = table.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
        let header = rows[0]
        let actions = header.dropFirst(2).dropLast(2).map { Action(rawValue: $0.trimmingCharacters(in: CharacterSet(charactersIn: "`"))) }
        #expect(actions == Action.allCases.map { Optional($0) })
        var documented: [UserRole: Set<Action>] = [:]
        var seen: [UserRole: String] = [:]
        for row in rows.dropFirst(2) {
            let roleText = try #require(row[1].split(separator: " ").first).trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let role = try #require(UserRole(rawValue: roleText), "\(row)")
            #expect(row[1].hasSuffix(role.chineseName))
            documented[role] = Set(zip(Action.allCases, row.dropFirst(2)).filter { $0.1 == "✓" }.map(\.0))
            seen[role] = row[row.count - 2]
        }
        #expect(documented == Permissions.table)
        #expect(seen == Dictionary(uniqueKeysWithValues: UserRole.allCases.map { role in
            (role, role.visibility == .jurisdiction ? "jurisdiction" : role.visibility == .ownUnit ? "own unit" : "involved unit")
        }))
    }
}
