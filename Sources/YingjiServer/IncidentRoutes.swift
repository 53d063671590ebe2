import Foundation
import HTTPTypes
import Hummingbird
import YingjiCore

/// `/api/v1/incidents…` and `/api/v1/obligations`: report, follow up, move, fulfil, read.
struct IncidentRoutes {
    let server: Server

    func add(to router: Router<YingjiRequestContext>) {
        let api = router.group("api/v1")
        api.post("incidents", use: create)
        api.get("incidents", use: list)
        api.get("incidents/:id", use: detail)
        api.get("incidents/:id/reports", use: reports)
        api.post("incidents/:id/reports", use: addReport)
        api.post("incidents/:id/transitions", use: transition)
        api.get("incidents/:id/obligations", use: incidentObligations)
        api.post("incidents/:id/obligations/:obligationID/fulfilment", use: fulfil)
        api.get("incidents/:id/timeline", use: timeline)
        api.post("incidents/:id/corrections", use: correct)
        api.get("obligations", use: obligations)
    }

    // MARK: writes

    @Sendable func create(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let write = try await IdempotentWrite(request, context: context)
        let body = try JSONBody(write.body, allowed: ["jurisdiction", "knownAt", "occurredAt", "category", "figures", "fields", "organisation", "involved"])
        let jurisdiction = try body.requiredString("jurisdiction")
        let draft = try Self.draft(.initial, body)
        let knownAt = try body.time("knownAt")
        let parties = try await parties(organisation: try body.string("organisation"), involved: try body.stringArray("involved"),
                                        jurisdiction: jurisdiction, identity: identity)
        return try await write.run(status: .created, repository: server.store.incidents, now: server.clock.now(), render: render,
                                   headers: { incident in [.location: "/api/v1/incidents/\(incident.id)"] }) { answer in
            let incident = try await server.incidents.report(jurisdiction: jurisdiction, draft, knownAt: knownAt, actor: identity.actorName,
                                                             parties: parties, answer: answer)
            server.events.publish("incident.created", IncidentView.summary(incident), access: incident.access)
            return incident
        }
    }

    @Sendable func addReport(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let (id, actor) = try await authorised(.followUp, context)
        let write = try await IdempotentWrite(request, context: context)
        let body = try JSONBody(write.body, allowed: ["kind", "version", "occurredAt", "category", "figures", "fields"])
        let kindName = try body.requiredString("kind")
        guard let kind = ReportKind(rawValue: kindName), kind != .initial else {
            throw APIError(.unprocessableContent, "report.kind", "kind 须为 followUp（续报）或 late（补报）；初报请用 POST /api/v1/incidents", field: "kind")
        }
        let version = try Self.version(body)
        let draft = try Self.draft(kind, body)
        return try await write.run(status: .created, repository: server.store.incidents, now: server.clock.now(), render: render) { answer in
            await changed(try await server.incidents.addReport(id, draft, expectedVersion: version, actor: actor, answer: answer))
        }
    }

    @Sendable func transition(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let incident = try await visibleIncident(context, identity: identity)
        let id = incident.id, actor = identity.actorName
        let write = try await IdempotentWrite(request, context: context)
        let body = try JSONBody(write.body, allowed: Set(Self.transitionFields.values.flatMap { $0 }).union(["action", "version"]))
        let command = try lifecycleCommand(body, incident: incident, identity: identity)
        let version = try Self.version(body)
        return try await write.run(status: .ok, repository: server.store.incidents, now: server.clock.now(), render: render) { answer in
            await changed(try await server.incidents.apply(id, command, expectedVersion: version, actor: actor, answer: answer))
        }
    }

    @Sendable func fulfil(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let (id, actor) = try await authorised(.fulfilObligation, context)
        let obligationID = try context.parameters.require("obligationID")
        let write = try await IdempotentWrite(request, context: context)
        let body = try JSONBody(write.body, allowed: ["channel", "reference", "version"])
        let channelName = try body.requiredString("channel")
        guard let channel = Channel(rawValue: channelName) else {
            throw APIError(.unprocessableContent, "obligation.channel", "channel 须为 \(Channel.allCases.map(\.rawValue).joined(separator: "、")) 之一", field: "channel")
        }
        let reference = try body.requiredString("reference")
        guard reference.count <= 4000 else {
            throw APIError(.unprocessableContent, "obligation.reference_too_long", "凭据最多 4000 个字符", field: "reference")
        }
        let version = try Self.version(body)
        return try await write.run(status: .ok, repository: server.store.incidents, now: server.clock.now(), render: render) { answer in
            await changed(try await server.incidents.fulfil(id, obligation: obligationID, channel: channel, reference: reference,
                                                                expectedVersion: version, actor: actor, answer: answer))
        }
    }

    @Sendable func correct(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let (id, actor) = try await authorised(.correctTimeline, context)
        let write = try await IdempotentWrite(request, context: context)
        let body = try JSONBody(write.body, allowed: ["corrects", "reason", "correction", "version"])
        let corrects = try body.requiredInt("corrects")
        guard corrects >= 1 && corrects <= Int64(Int32.max) else {
            throw APIError(.unprocessableContent, "correction.unknown_entry", "corrects 须为时间线中的记录序号", field: "corrects")
        }
        let reason = try body.requiredString("reason")
        let correction = try body.requiredString("correction")
        guard reason.count <= 2000, correction.count <= 8000 else {
            throw APIError(.unprocessableContent, "correction.too_long", "更正原因最多 2000 字，更正内容最多 8000 字", field: reason.count > 2000 ? "reason" : "correction")
        }
        let version = try Self.version(body)
        return try await write.run(status: .created, repository: server.store.incidents, now: server.clock.now(), render: render) { answer in
            await changed(try await server.incidents.correct(id, entry: Int(corrects), reason: reason, correction: correction,
                                                                 expectedVersion: version, actor: actor, answer: answer))
        }
    }

    // MARK: reads

    @Sendable func list(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        var query = try Self.query(request.uri.queryParameters)
        query.visibility = try context.requireIdentity().visibility(tree: server.catalog.tree)
        let found = try await server.store.incidents.summaries(query)
        return JSONResponse.make(.ok, ["items": .array(found.map(IncidentView.summary)), "limit": .int(Int64(query.limit)), "offset": .int(Int64(query.offset))])
    }

    @Sendable func detail(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.parameters.require("id")
        if let version = try await server.store.incidents.version(id: id), let cached = server.details.entry(id: id, version: version) {
            guard identity.canSee(cached.access, tree: server.catalog.tree) else { throw APIError.noIncident(id) }
            return JSONResponse.make(.ok, cached.body)
        }
        let incident = try await visibleIncident(context, identity: identity)
        let body = render(incident)
        server.details.store(id: incident.id, version: incident.version, access: incident.access, body: body)
        return JSONResponse.make(.ok, body)
    }

    @Sendable func reports(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let incident = try await visibleIncident(context, identity: try context.requireIdentity())
        return JSONResponse.make(.ok, ["items": IncidentView.encoded(incident.reports)])
    }

    @Sendable func incidentObligations(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let incident = try await visibleIncident(context, identity: try context.requireIdentity())
        return JSONResponse.make(.ok, ["items": .array(incident.obligations.map { IncidentView.obligation($0, incident: incident) })])
    }

    @Sendable func timeline(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let incident = try await visibleIncident(context, identity: identity)
        guard identity.may(.readTimeline, on: incident.access, tree: server.catalog.tree) else { throw APIError.denied(.readTimeline) }
        let entries = try await server.store.incidents.timeline(incidentID: incident.id)
        return JSONResponse.make(.ok, ["items": .array(entries.map(IncidentView.entry))])
    }

    /// Obligations across incidents, optionally by status (`?status=overdue`), earliest due first.
    @Sendable func obligations(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        try Self.rejectUnknown(parameters, allowed: ["status", "jurisdiction", "limit"])
        var status: ObligationStatus?
        if let raw = parameters["status"] {
            guard let parsed = ObligationStatus(rawValue: String(raw)) else {
                throw APIError(.badRequest, "query.status", "status 须为 \(ObligationStatus.allCases.map(\.rawValue).joined(separator: "、")) 之一", field: "status")
            }
            status = parsed
        }
        let limit = try Self.limit(parameters)
        var query = IncidentQuery(openOnly: status == .pending || status == .overdue, overdueOnly: status == .overdue,
                                  visibility: try context.requireIdentity().visibility(tree: server.catalog.tree), limit: Int.max)
        if let jurisdiction = parameters["jurisdiction"] { query.jurisdictions = [String(jurisdiction)] }
        let rows = try await server.store.incidents.incidents(query).flatMap { incident in
            incident.obligations.filter { status == nil || $0.status == status }.map { (incident, $0) }
        }.sorted { ($0.1.dueAt ?? .distantFuture, $0.1.id) < ($1.1.dueAt ?? .distantFuture, $1.1.id) }
        return JSONResponse.make(.ok, ["items": .array(rows.prefix(limit).map { IncidentView.obligation($0.1, incident: $0.0) })])
    }

    // MARK: helpers

    func render(_ incident: Incident) -> Data {
        IncidentView.detail(incident, plan: server.catalog.plan(forJurisdiction: incident.jurisdiction))
    }

    private func changed(_ incident: Incident) async -> Incident {
        server.events.publish("incident.changed", IncidentView.summary(incident), access: incident.access)
        return incident
    }

    private func visibleIncident(_ context: YingjiRequestContext, identity: Identity) async throws -> Incident {
        try await server.visibleIncident(try context.parameters.require("id"), identity: identity)
    }

    /// The incident's id and the actor's name, once the account may see it and take `action` on it.
    private func authorised(_ action: Action, _ context: YingjiRequestContext) async throws -> (id: String, actor: String) {
        let identity = try context.requireIdentity()
        let incident = try await server.authorisedIncident(try context.parameters.require("id"), action, identity: identity)
        return (incident.id, identity.actorName)
    }

    /// The reporting unit and involved organisations of a new report, after checking the account
    /// may report there: an enterprise reporter only for its own unit.
    func parties(organisation given: String?, involved: [String], jurisdiction: String, identity: Identity) async throws -> IncidentParties {
        let tree = server.catalog.tree
        let grants = identity.grants(for: .reportIncident, in: jurisdiction, tree: tree)
        guard let place = server.catalog.jurisdiction(jurisdiction) else { return IncidentParties() }  // the service names the unknown jurisdiction
        guard place.planID != nil else {
            let below = server.catalog.jurisdictions.filter { $0.parentID == place.id }.map(\.name)
            throw APIError(.unprocessableContent, "jurisdiction.no_plan",
                           "「\(place.name)」没有绑定预案，事故须报在事发地所在的辖区" + (below.isEmpty ? "" : "（如 \(below.joined(separator: "、"))）"), field: "jurisdiction")
        }
        guard !grants.isEmpty else {
            throw APIError.denied(.reportIncident, detail: "：不能在「\(server.catalog.jurisdiction(jurisdiction)?.name ?? jurisdiction)」报告事故")
        }
        var organisation = given
        let anyUnit = grants.contains { $0.role.visibility == .jurisdiction }
        if !anyUnit {
            let own = grants.compactMap(\.organisationID)
            if organisation == nil && own.count == 1 { organisation = own[0] }
            guard let chosen = organisation, own.contains(chosen) else {
                throw APIError(.forbidden, "report.not_own_unit", "企业报告员只能报告本单位的事故（organisation 须为 \(own.joined(separator: "、"))）", field: "organisation")
            }
        }
        let named = (organisation.map { [$0] } ?? []) + involved
        if !named.isEmpty {
            let known = Dictionary(try await server.store.accounts.organisations().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            if let unknown = named.first(where: { known[$0] == nil }) {
                throw APIError(.unprocessableContent, "report.unknown_organisation", "没有登记单位「\(unknown)」", field: organisation == unknown ? "organisation" : "involved")
            }
            if let organisation, let unit = known[organisation], !tree.isRelated(jurisdiction, unit.jurisdictionID) {
                throw APIError(.unprocessableContent, "report.organisation_elsewhere", "「\(unit.name)」不在「\(jurisdiction)」辖区", field: "organisation")
            }
        }
        return IncidentParties(organisationID: organisation, involved: involved)
    }

    static let figureNames = Set(Metric.allCases.map(\.rawValue))

    /// The fields each transition takes besides `action` and `version`.
    static let transitionFields: [String: Set<String>] = [
        "verify": ["note"],
        "startResponse": ["level", "decidedBy", "signedBy", "precondition"],
        "changeLevel": ["level", "reason", "signedBy"],
        "handOverCommand": ["to", "handedOverBy", "receivedBy"],
        "suspendRescue": ["reason"],
        "resumeRescue": ["note"],
        "confirmCondition": ["conditionID"],
        "endOnSiteWork": [],
        "endResponse": ["endedBy"],
        "closeWithoutResponse": ["reason"],
        "beginAftermath": [],
        "recordEvaluation": ["summary"],
        "archive": [],
    ]

    /// Reads a transition body into a move the account may make: the action its role must hold,
    /// then the plan's posts it must hold for a level. Shared by the API and the incident page.
    func lifecycleCommand(_ body: JSONBody, incident: Incident, identity: Identity) throws -> LifecycleCommand {
        let action = try Self.transitionAction(body)
        let posts = PostResolver(incident: incident, plan: server.catalog.plan(forJurisdiction: incident.jurisdiction), identity: identity, tree: server.catalog.tree)
        guard identity.may(action, on: incident.access, tree: server.catalog.tree) else {
            // For a level decision, say whom the plan gives it to.
            let level = (try? body.int("level")).flatMap { $0 }.map { Int(truncatingIfNeeded: $0) }
            throw APIError.denied(action, detail: level.flatMap(posts.requirement).map { "；\($0)" } ?? "")
        }
        return try Self.command(body, posts: posts)
    }

    /// What each transition needs besides seeing the incident.
    static func transitionAction(_ body: JSONBody) throws -> Action {
        let action = try body.requiredString("action")
        guard let required = requiredAction(action) else {
            throw APIError(.unprocessableContent, "transition.unknown_action", "未知操作「\(action)」，可选：\(transitionFields.keys.sorted().joined(separator: "、"))", field: "action")
        }
        return required
    }

    /// The action a transition needs, by its name; nil for a name that is no transition.
    static func requiredAction(_ name: String) -> Action? {
        guard transitionFields[name] != nil else { return nil }
        switch name {
        case "verify": return .verify
        case "startResponse", "changeLevel", "endResponse", "handOverCommand": return .decideResponse
        default: return .command
        }
    }

    static func command(_ body: JSONBody, posts: PostResolver) throws -> LifecycleCommand {
        let action = try body.requiredString("action")
        guard let allowed = transitionFields[action] else {
            throw APIError(.unprocessableContent, "transition.unknown_action", "未知操作「\(action)」，可选：\(transitionFields.keys.sorted().joined(separator: "、"))", field: "action")
        }
        if let extra = body.fields.keys.sorted().first(where: { !allowed.contains($0) && $0 != "action" && $0 != "version" }) {
            throw APIError(.unprocessableContent, "body.unknown_field", "操作 \(action) 不接受字段「\(extra)」", field: extra)
        }
        let level = { () throws -> Int in
            let value = try body.requiredInt("level")
            guard (1...4).contains(value) else { throw APIError(.unprocessableContent, "response.unknown_level", "level 须为 1–4", field: "level") }
            return Int(value)
        }
        switch action {
        case "verify": return .verify(note: try body.string("note"))
        case "startResponse":
            let number = try level()
            return .startResponse(level: number, decidedBy: try posts.decides(try body.string("decidedBy"), level: number),
                                  signedBy: try posts.signs(try body.string("signedBy"), level: number), precondition: try body.string("precondition"))
        case "changeLevel":
            let number = try level()
            return .changeLevel(level: number, reason: try body.requiredString("reason"), signedBy: try posts.signs(try body.string("signedBy"), level: number))
        case "handOverCommand":
            return .handOverCommand(to: try body.requiredString("to"), handedOverBy: try body.requiredString("handedOverBy"), receivedBy: try body.requiredString("receivedBy"))
        case "suspendRescue": return .suspendRescue(reason: try body.requiredString("reason"))
        case "resumeRescue": return .resumeRescue(note: try body.string("note"))
        case "confirmCondition": return .confirmCondition(id: try body.requiredString("conditionID"))
        case "endOnSiteWork": return .endOnSiteWork
        case "endResponse": return .endResponse(endedBy: try posts.ends(try body.string("endedBy")))
        case "closeWithoutResponse": return .closeWithoutResponse(reason: try body.requiredString("reason"))
        case "beginAftermath": return .beginAftermath
        case "recordEvaluation": return .recordEvaluation(summary: try body.requiredString("summary"))
        default: return .archive
        }
    }

    /// Every update names the version it was based on; a stale one is 409.
    static func version(_ body: JSONBody) throws -> Int {
        let value = try body.requiredInt("version")
        guard value >= 1 && value <= Int64(Int32.max) else {
            throw APIError(.unprocessableContent, "body.invalid_version", "version 须为正整数", field: "version")
        }
        return Int(value)
    }

    static func draft(_ kind: ReportKind, _ body: JSONBody) throws -> ReportDraft {
        var figures: [Metric: Int64] = [:]
        if let given = try body.object("figures", allowed: figureNames) {
            for metric in Metric.allCases {
                if let value = try given.int(metric.rawValue) { figures[metric] = value }
            }
        }
        let fields = try body.stringMap("fields")
        if let long = fields.first(where: { $0.value.count > 8000 }) {
            throw APIError(.unprocessableContent, "report.field_too_long", "「\(long.key)」最多 8000 个字符", field: "fields.\(long.key)")
        }
        return ReportDraft(kind: kind, fields: fields, figures: figures, category: try body.string("category"), occurredAt: try body.time("occurredAt"))
    }

    static func query(_ parameters: Parameters) throws -> IncidentQuery {
        try rejectUnknown(parameters, allowed: ["status", "grade", "jurisdiction", "overdue", "limit", "offset"])
        var query = IncidentQuery(limit: try limit(parameters))
        if let raw = parameters["status"] {
            guard let status = IncidentStatus(rawValue: String(raw)) else {
                throw APIError(.badRequest, "query.status", "status 须为 \(IncidentStatus.allCases.map(\.rawValue).joined(separator: "、")) 之一", field: "status")
            }
            query.status = status
        }
        if let raw = parameters["grade"] {
            guard let grade = Int(raw), (1...4).contains(grade) else { throw APIError(.badRequest, "query.grade", "grade 须为 1–4", field: "grade") }
            query.grade = grade
        }
        if let raw = parameters["jurisdiction"] { query.jurisdictions = [String(raw)] }
        if let raw = parameters["overdue"] {
            guard raw == "true" || raw == "false" else { throw APIError(.badRequest, "query.overdue", "overdue 须为 true 或 false", field: "overdue") }
            query.overdueOnly = raw == "true"
        }
        if let raw = parameters["offset"] {
            guard let offset = Int(raw), offset >= 0, offset <= 1_000_000 else { throw APIError(.badRequest, "query.offset", "offset 须为 0–1000000 的整数", field: "offset") }
            query.offset = offset
        }
        return query
    }

    static func limit(_ parameters: Parameters) throws -> Int {
        guard let raw = parameters["limit"] else { return 50 }
        guard let limit = Int(raw), (1...500).contains(limit) else { throw APIError(.badRequest, "query.limit", "limit 须为 1–500 的整数", field: "limit") }
        return limit
    }

    static func rejectUnknown(_ parameters: Parameters, allowed: Set<String>) throws {
        if let unknown = parameters.map({ String($0.key) }).sorted().first(where: { !allowed.contains($0) }) {
            throw APIError(.badRequest, "query.unknown_parameter", "未知查询参数「\(unknown)」，可用：\(allowed.sorted().joined(separator: "、"))", field: unknown)
        }
    }
}

/// Which of the plan's posts a decision is taken in. The account must hold the post (its role is
/// among the post's `holders:` in the plan file, through a grant covering the incident); when the
/// body names none, the first post the plan allows that the account holds is used. The plan's own
/// rule (who decides / signs level N) is then checked by the core, clause in hand.
struct PostResolver {
    let incident: Incident
    let plan: Plan?
    let held: [String]

    init(incident: Incident, plan: Plan?, identity: Identity, tree: JurisdictionTree) {
        self.incident = incident
        self.plan = plan
        held = plan.map { identity.planRoles(on: incident.access, plan: $0, tree: tree) } ?? []
    }

    func decides(_ given: String?, level: Int) throws -> String {
        try resolve(given, field: "decidedBy", what: "决定启动", level: level) { $0.decides }
    }

    func signs(_ given: String?, level: Int) throws -> String {
        try resolve(given, field: "signedBy", what: "签发", level: level) { $0.signs }
    }

    /// 谁启动、谁关闭: only the post that started the response ends it.
    func ends(_ given: String?) throws -> String {
        guard let plan, let started = incident.response?.decidedBy else { return given ?? "" }  // the core refuses the move
        let post = given ?? started
        guard held.contains(post) else {
            throw APIError(.forbidden, "response.not_starter",
                           "谁启动、谁关闭：本次响应由「\(plan.roleName(started))」启动，只能由其宣布终止；您不是该岗位的持有人（\(plan.response.ending.source)）", field: "endedBy")
        }
        return post
    }

    /// "三级响应须由指挥长决定启动（昆玉 5.3.2）": whom the plan gives a level to.
    func requirement(level: Int) -> String? {
        guard let plan, let responseLevel = ResponseLevel(level), let authority = plan.response.authority(for: responseLevel) else { return nil }
        return "\(authority.level.chineseName)响应须由\(authority.decides.map(plan.roleName).joined(separator: "或"))决定启动（\(authority.source)）"
    }

    private func resolve(_ given: String?, field: String, what: String, level: Int, _ allowed: (LevelAuthority) -> [String]) throws -> String {
        guard let plan, let responseLevel = ResponseLevel(level), let authority = plan.response.authority(for: responseLevel) else {
            return given ?? ""  // the core names the level the plan lacks
        }
        let names = allowed(authority).map(plan.roleName).joined(separator: "或")
        if let given {
            guard held.contains(given) else {
                throw APIError(.forbidden, "response.not_holder",
                               "\(authority.level.chineseName)响应须由\(names)\(what)（\(authority.source)）；您不是「\(plan.roleName(given))」的持有人", field: field)
            }
            return given
        }
        guard let post = allowed(authority).first(where: held.contains) else {
            throw APIError(.forbidden, "response.not_authorised", "\(authority.level.chineseName)响应须由\(names)\(what)（\(authority.source)）；您的角色不在其列", field: field)
        }
        return post
    }
}
