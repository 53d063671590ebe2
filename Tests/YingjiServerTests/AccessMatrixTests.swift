import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YingjiCore
import YingjiPlans
import YingjiServer

/// The permission matrix over HTTP: for every demo role, every incident route and every scope,
/// the answer the permission table (`Permissions.table`) and the role's visibility promise.
/// Requests that are allowed are made to fail afterwards on purpose (a stale version, a missing
/// field), so one set of incidents serves the whole matrix and nothing changes between cells.
@Suite struct AccessMatrixTests {
    /// Where an incident stands relative to the acting account.
    enum Scope: String, CaseIterable {
        /// In the account's jurisdiction, reported for its enterprise and involving its member unit.
        case ownUnit
        /// In the account's jurisdiction, no unit named.
        case ownJurisdiction
        /// In the area below it (二二四团 under 昆玉).
        case child
        /// In the jurisdiction above it (for the 二二四团 duty officer: 昆玉).
        case parent
        /// A jurisdiction beside it (巴楚 for 昆玉).
        case sibling
    }

    /// What the role's visibility says about a scope, written out here rather than taken from
    /// `Identity`, so the test checks the code instead of repeating it.
    static func visible(_ role: UserRole, _ scope: Scope) -> Bool {
        switch role.visibility {
        case .jurisdiction: return [.ownUnit, .ownJurisdiction, .child].contains(scope)
        case .ownUnit, .involvedUnit: return scope == .ownUnit
        }
    }

    struct Fixture {
        /// Incident ids by the Kunyu accounts' scope.
        var incidents: [Scope: String] = [:]
        var obligations: [String: String] = [:]
    }

    /// A complete initial report for any plan, built from the plan's own required fields.
    static func report(jurisdiction: String, plan: Plan, deaths: Int = 3, extra: [String: Any] = [:]) -> [String: Any] {
        var fields: [String: String] = [:]
        var figures: [String: Any] = ["deaths": deaths, "missing": 0, "seriousInjuries": 0, "directLoss": 0]
        for field in plan.reporting.initialReportFields where field.required {
            if let metric = Metric(rawValue: field.id) {
                if figures[metric.rawValue] == nil { figures[metric.rawValue] = 0 }
            } else if !["occurredAt", "category"].contains(field.id) {
                fields[field.id] = "测试填写：\(field.name)"
            }
        }
        var body: [String: Any] = [
            "jurisdiction": jurisdiction, "knownAt": Timestamp.format(t0), "occurredAt": Timestamp.format(t0.addingTimeInterval(-600)),
            "category": plan.categories.first { $0.id == "fire" }?.name ?? plan.categories[0].name, "figures": figures, "fields": fields,
        ]
        body.merge(extra) { _, new in new }
        return body
    }

    static func setUp(_ client: some TestClientProtocol) async throws -> Fixture {
        var fixture = Fixture()
        let kunyu = try planLibrary.load("kunyu"), bachu = try planLibrary.load("bachu")
        let made: [(Scope, [String: Any], String)] = [
            (.ownUnit, report(jurisdiction: "kunyu", plan: kunyu, extra: ["organisation": "kunyu-chem", "involved": ["kunyu-police"]]), "kunyu-duty-officer"),
            (.ownJurisdiction, report(jurisdiction: "kunyu", plan: kunyu), "kunyu-duty-officer"),
            (.child, report(jurisdiction: "kunyu-224", plan: kunyu), "kunyu-224-duty-officer"),
            (.sibling, report(jurisdiction: "bachu", plan: bachu), "bachu-duty-officer"),
        ]
        for (scope, body, login) in made {
            let incident = try await create(client, body, as: login)
            let id = try #require(incident["id"] as? String)
            fixture.incidents[scope] = id
            fixture.obligations[id] = try #require((incident["obligations"] as? [[String: Any]])?.first?["id"] as? String)
        }
        return fixture
    }

    /// One cell: a route on an incident, what it needs, and what an allowed request answers.
    struct Route {
        let name: String
        let action: Action
        let method: HTTPRequest.Method
        let path: (String, String) -> String
        let body: [String: Any]?
        /// The answer when allowed (a read: 200; a write made to fail after the check: 409).
        let allowed: HTTPResponse.Status
    }

    static var routes: [Route] { [
        Route(name: "detail", action: .readIncident, method: .get, path: { id, _ in "/api/v1/incidents/\(id)" }, body: nil, allowed: .ok),
        Route(name: "reports", action: .readIncident, method: .get, path: { id, _ in "/api/v1/incidents/\(id)/reports" }, body: nil, allowed: .ok),
        Route(name: "obligations", action: .readIncident, method: .get, path: { id, _ in "/api/v1/incidents/\(id)/obligations" }, body: nil, allowed: .ok),
        Route(name: "timeline", action: .readTimeline, method: .get, path: { id, _ in "/api/v1/incidents/\(id)/timeline" }, body: nil, allowed: .ok),
        Route(name: "followUp", action: .followUp, method: .post, path: { id, _ in "/api/v1/incidents/\(id)/reports" },
              body: ["kind": "followUp", "version": 999, "fields": [:] as [String: String]], allowed: .conflict),
        Route(name: "verify", action: .verify, method: .post, path: { id, _ in "/api/v1/incidents/\(id)/transitions" },
              body: ["action": "verify", "version": 999], allowed: .conflict),
        Route(name: "suspendRescue", action: .command, method: .post, path: { id, _ in "/api/v1/incidents/\(id)/transitions" },
              body: ["action": "suspendRescue", "reason": "余震", "version": 999], allowed: .conflict),
        Route(name: "handOver", action: .decideResponse, method: .post, path: { id, _ in "/api/v1/incidents/\(id)/transitions" },
              body: ["action": "handOverCommand", "to": "兵团指挥部", "handedOverBy": "甲", "receivedBy": "乙", "version": 999], allowed: .conflict),
        Route(name: "fulfil", action: .fulfilObligation, method: .post, path: { id, obligation in "/api/v1/incidents/\(id)/obligations/\(obligation)/fulfilment" },
              body: ["channel": "phone", "reference": "电话记录", "version": 999], allowed: .conflict),
        Route(name: "correct", action: .correctTimeline, method: .post, path: { id, _ in "/api/v1/incidents/\(id)/corrections" },
              body: ["corrects": 1, "reason": "笔误", "correction": "更正", "version": 999], allowed: .conflict),
        Route(name: "command", action: .readIncident, method: .get, path: { id, _ in "/api/v1/incidents/\(id)/command" }, body: nil, allowed: .ok),
        Route(name: "checkIn", action: .command, method: .post, path: { id, _ in "/api/v1/incidents/\(id)/command" },
              body: ["op": "checkIn", "team": "消防救援站", "leader": "李", "contact": "139", "headcount": 5, "version": 999], allowed: .conflict),
        Route(name: "acknowledgeTask", action: .actOnTask, method: .post, path: { id, _ in "/api/v1/incidents/\(id)/command" },
              body: ["op": "acknowledgeTask", "taskID": "task-none", "version": 999], allowed: .conflict),
        Route(name: "leadDepartment", action: .verify, method: .post, path: { id, _ in "/api/v1/incidents/\(id)/lead-department" },
              body: ["units": ["应急管理局"], "version": 999], allowed: .conflict),
    ] }

    /// The accounts acting in the matrix, and the scopes each can be tested in.
    static var actors: [(login: String, role: UserRole, scopes: [Scope: Scope])] {
        // The Kunyu accounts see the fixture's incidents as laid out; the 二二四团 duty officer sees
        // the Kunyu ones as its parent's and its own area's as its own jurisdiction.
        let kunyu: [Scope: Scope] = [.ownUnit: .ownUnit, .ownJurisdiction: .ownJurisdiction, .child: .child, .sibling: .sibling]
        let area: [Scope: Scope] = [.ownUnit: .parent, .ownJurisdiction: .parent, .child: .ownJurisdiction, .sibling: .sibling]
        // The administrator's grant covers every jurisdiction, so Bachu is as good as a child to it.
        let everywhere: [Scope: Scope] = [.ownUnit: .ownUnit, .ownJurisdiction: .ownJurisdiction, .child: .child, .sibling: .child]
        // The 兵团 (above 昆玉, no plan of its own here) sees all of Kunyu as below it; Bachu sits
        // under 喀什地区, a sibling branch.
        let above: [Scope: Scope] = [.ownUnit: .child, .ownJurisdiction: .child, .child: .child, .sibling: .sibling]
        return Demo.accounts.filter { $0.grant.jurisdictionID == "kunyu" }.map { ($0.login, $0.grant.role, kunyu) }
            + [("kunyu-224-duty-officer", .dutyOfficer, area), ("admin", .administrator, everywhere),
               ("bingtuan-duty-officer", .dutyOfficer, above), ("bingtuan-commander", .commander, above)]
    }

    @Test(arguments: Engine.all) func everyRoleEveryRouteEveryScope(_ engine: Engine) async throws {
        try await TestServer.start(engine, accounts: Demo.accounts).test { client in
            let fixture = try await Self.setUp(client)
            var cells = 0
            for actor in Self.actors {
                for (placed, scope) in actor.scopes {
                    let id = try #require(fixture.incidents[placed])
                    let seen = Self.visible(actor.role, scope)
                    for route in Self.routes {
                        let expected: HTTPResponse.Status = !seen ? .notFound : Permissions.allows(actor.role, route.action) ? route.allowed : .forbidden
                        let response = try await client.execute(uri: route.path(id, fixture.obligations[id] ?? ""), method: route.method,
                                                                headers: headers(as: actor.login), body: route.body.map(json))
                        #expect(response.status == expected, "\(actor.login) \(route.name) on \(scope) incident: \(String(buffer: response.body))")
                        if expected == .notFound { #expect(try errorField(response).code == "incident.not_found") }
                        if expected == .forbidden { #expect(try errorField(response).message?.contains(route.action.chineseName) == true) }
                        cells += 1
                    }
                    // Lists show exactly the incidents the account may see.
                    let listed = try object(try await get(client, "/api/v1/incidents?limit=500", as: actor.login))
                    let ids = (listed["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                    #expect(ids.contains(id) == seen, "\(actor.login) list, \(scope) incident")
                    let obligations = try object(try await get(client, "/api/v1/obligations?limit=500", as: actor.login))
                    let owners = Set((obligations["items"] as? [[String: Any]] ?? []).compactMap { $0["incidentID"] as? String })
                    #expect(owners.contains(id) == seen, "\(actor.login) obligations list, \(scope) incident")
                }
            }
            #expect(cells == Self.actors.count * 4 * Self.routes.count)
            // Routes outside incidents: every account reads the jurisdictions and itself; only
            // `jurisdiction.manage` adds one (an id that exists: allowed answers 409, nothing stored).
            for actor in Self.actors {
                #expect(try await get(client, "/api/v1/jurisdictions", as: actor.login).status == .ok)
                let me = try object(try await get(client, "/api/v1/session", as: actor.login))
                #expect((me["grants"] as? [[String: Any]])?.first?["role"] as? String == actor.role.rawValue)
                let response = try await client.execute(uri: "/api/v1/jurisdictions", method: .post, headers: headers(as: actor.login),
                                                        body: json(["id": "kunyu-224", "name": "重复", "parentID": "kunyu", "planID": "kunyu"]))
                #expect(response.status == (Permissions.allows(actor.role, .manageJurisdictions) ? .conflict : .forbidden), "\(actor.login) adds a jurisdiction")
            }
        }
    }

    /// Reporting a new incident: allowed where the role may report, in its jurisdiction and below.
    /// The body lacks the plan's fields on purpose: allowed answers 422, denied 403, nothing is stored.
    @Test(arguments: Engine.all) func reportingIsAllowedInOwnJurisdictionAndBelowOnly(_ engine: Engine) async throws {
        try await TestServer.start(engine, accounts: Demo.accounts).test { client in
            let targets: [(jurisdiction: String, scope: Scope)] = [("kunyu", .ownJurisdiction), ("kunyu-224", .child), ("bachu", .sibling)]
            for actor in Self.actors where actor.login.hasPrefix("kunyu-") && !actor.login.hasPrefix("kunyu-224") {
                for target in targets {
                    let body: [String: Any] = ["jurisdiction": target.jurisdiction, "category": "火灾", "figures": ["deaths": 1]]
                    let response = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(as: actor.login), body: json(body))
                    let expected: HTTPResponse.Status = Permissions.allows(actor.role, .reportIncident) && target.scope != .sibling ? .unprocessableContent : .forbidden
                    #expect(response.status == expected, "\(actor.login) reports in \(target.jurisdiction): \(String(buffer: response.body))")
                }
            }
            // Reports go where the accident happened: a level without a plan refuses them, naming why.
            let top = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(as: "bingtuan-duty-officer"),
                                               body: json(Self.report(jurisdiction: "bingtuan", plan: try planLibrary.load("kunyu"))))
            #expect(top.status == .unprocessableContent)
            #expect(try errorField(top).code == "jurisdiction.no_plan")
            #expect(try errorField(top).message?.contains("第十四师昆玉市") == true)
            // The area's duty officer may not report for its parent.
            let response = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(as: "kunyu-224-duty-officer"),
                                                    body: json(["jurisdiction": "kunyu", "figures": ["deaths": 1]]))
            #expect(response.status == .forbidden)
            let stored = try object(try await get(client, "/api/v1/incidents", as: "kunyu-viewer"))["items"] as? [Any]
            #expect(stored?.isEmpty == true)
        }
    }

    /// An enterprise reporter reports for its own unit only, sees what it reported, and no other
    /// unit's incident; ids guessed or counted up answer exactly like a missing incident.
    @Test(arguments: Engine.all) func enterpriseReportersStayInTheirUnitAndGuessedIDsLeakNothing(_ engine: Engine) async throws {
        try await TestServer.start(engine, accounts: Demo.accounts).test { client in
            let kunyu = try planLibrary.load("kunyu")
            var response = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(as: "kunyu-enterprise-reporter"),
                                                    body: json(Self.report(jurisdiction: "kunyu", plan: kunyu, extra: ["organisation": "bachu-mine"])))
            #expect(response.status == .forbidden)
            #expect(try errorField(response).field == "organisation")
            let own = try await create(client, Self.report(jurisdiction: "kunyu", plan: kunyu), as: "kunyu-enterprise-reporter")
            let ownID = try #require(own["id"] as? String)
            #expect(own["organisationID"] as? String == "kunyu-chem")
            #expect(own["involvedOrganisations"] as? [String] == ["kunyu-chem"])
            let other = try #require(try await create(client, Self.report(jurisdiction: "kunyu", plan: kunyu))["id"] as? String)
            let listed = try object(try await get(client, "/api/v1/incidents", as: "kunyu-enterprise-reporter"))
            #expect((listed["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ownID])

            // Hidden, guessed and sequential ids: the same 404 body apart from the id itself.
            let hidden = try await get(client, "/api/v1/incidents/\(other)", as: "kunyu-enterprise-reporter")
            let sequential = String(other.dropLast()) + (other.last == "a" ? "b" : "a")
            for guess in [other, sequential, "inc_0000000000000000", "1", "inc_\(String(repeating: "z", count: 16))"] {
                response = try await get(client, "/api/v1/incidents/\(guess)", as: "kunyu-enterprise-reporter")
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body) == String(buffer: hidden.body).replacingOccurrences(of: other, with: guess))
                response = try await get(client, "/api/v1/incidents/\(guess)/timeline", as: "kunyu-viewer")
                #expect(response.status == (guess == other ? .ok : .notFound))
            }
        }
    }
}
