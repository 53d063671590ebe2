import Foundation
import HTTPTypes
import Hummingbird
import YingjiCore

/// `/api/v1/warnings` (预警): drafts, moves (submit, approve, publish, adjust, lift, measures),
/// timeline, CAP 1.2 export; `/api/v1/feeds/warnings.json`, the public feed of current warnings.
struct WarningRoutes {
    let server: Server

    func add(to router: Router<YingjiRequestContext>) {
        let api = router.group("api/v1")
        api.get("warnings", use: list)
        api.post("warnings", use: create)
        api.get("warnings/:id", use: detail)
        api.post("warnings/:id/moves", use: move)
        api.get("warnings/:id/timeline", use: timeline)
        api.get("feeds/warnings.json", use: feed)
    }

    static let contentFields: Set<String> = ["level", "issuer", "category", "startsAt", "endsAt", "area", "warnings", "developments",
                                             "measures", "hotline", "channels", "specialAudiences"]
    static let createFields = contentFields.union(["jurisdiction", "incidentID", "organisationID", "neighbours"])
    static let moveFields: Set<String> = ["move", "version", "post", "reason", "content", "actionID", "note", "owner", "incidentID"]
    static let moves = ["submit", "approve", "returnForRevision", "publish", "adjust", "lift", "completeAction", "assignAction", "linkIncident"]

    // MARK: reading

    @Sendable func list(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let query = request.uri.queryParameters
        var filter = WarningQuery()
        if let status = query["status"].map(String.init) {
            guard let value = Warning.Status(rawValue: status) else {
                throw APIError(.badRequest, "query.invalid", "status 须为 \(Warning.Status.allCases.map(\.rawValue).joined(separator: "、"))", field: "status")
            }
            filter.status = value
        }
        if let current = query["current"].map(String.init) {
            guard current == "true" || current == "false" else { throw APIError(.badRequest, "query.invalid", "current 须为 true 或 false", field: "current") }
            filter.currentOnly = current == "true"
        }
        if let incident = query["incidentID"].map(String.init) { filter.incidentID = incident }
        let items = try await visibleWarnings(filter, identity: identity)
        return JSONResponse.make(.ok, ["items": .array(items.map(render)), "count": .int(Int64(items.count))])
    }

    /// Most warnings a list gives.
    static let listLimit = 500

    /// The warnings an account may read, newest first (at most `listLimit`). The store's filter is
    /// by jurisdiction only; what it lets through that the account may not read (another unit's
    /// warnings, a draft only notified here) is skipped page by page, so it never pushes an older
    /// warning the account may read off the list. Each page starts after the last warning of the
    /// page before (by creation time and id), so a warning stored or changed while the pages are
    /// read neither repeats a row nor hides one, and no page passes over rows it has already read.
    func visibleWarnings(_ filter: WarningQuery, identity: Identity) async throws -> [Warning] {
        let tree = server.catalog.tree
        var query = filter
        query.jurisdictions = Array(Set(identity.grants(for: .readWarning).flatMap { tree.subtree($0.jurisdictionID) })).sorted()
        query.limit = Self.listLimit
        query.after = nil
        var visible: [Warning] = []
        while visible.count < Self.listLimit {
            let page = try await server.store.warnings.warnings(query)
            visible += page.filter { canSee($0, identity: identity) }
            guard page.count == query.limit, let last = page.last else { break }
            query.after = WarningQuery.Cursor(last)
        }
        return Array(visible.prefix(Self.listLimit))
    }

    @Sendable func detail(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let raw = try context.parameters.require("id")
        if raw.hasSuffix(".cap.xml") { return try await cap(String(raw.dropLast(".cap.xml".count)), request: request) }
        let warning = try await visibleWarning(raw, identity: try context.requireIdentity())
        return JSONResponse.make(.ok, render(warning))
    }

    @Sendable func timeline(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let warning = try await visibleWarning(try context.parameters.require("id"), identity: try context.requireIdentity())
        let entries = try await server.store.warnings.timeline(warningID: warning.id)
        return JSONResponse.make(.ok, ["warningID": .string(warning.id), "items": .array(entries.map(IncidentView.entry))])
    }

    /// The CAP 1.2 alert of a published warning: public, as a warning once published is.
    /// `?message=N` gives an earlier message (1 = the first Alert).
    func cap(_ id: String, request: Request) async throws -> Response {
        let number: Int?
        if let text = request.uri.queryParameters["message"].map(String.init) {
            guard let value = Int(text), value >= 1 else { throw APIError(.badRequest, "query.invalid", "message 须为正整数", field: "message") }
            number = value
        } else {
            number = nil
        }
        guard let warning = try await server.store.warnings.warning(id: id), !warning.capMessages.isEmpty,
              let plan = server.catalog.plan(forJurisdiction: warning.jurisdiction) else {
            throw APIError(.notFound, "warning.not_found", "没有已发布的预警 \(id)")
        }
        let reason = try await liftReason(warning)
        guard let xml = warning.cap(number: number, plan: plan, jurisdictionName: jurisdictionName(warning.jurisdiction), liftReason: reason,
                                    web: "\(base(request))/public/warnings#\(warning.id)") else {
            throw APIError(.notFound, "warning.no_message", "预警 \(id) 没有第 \(number ?? 0) 条 CAP 消息（共 \(warning.capMessages.count) 条）", field: "message")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/cap+xml; charset=utf-8"
        headers[.contentDisposition] = "inline; filename=\"\(warning.capIdentifier(number ?? warning.capMessages.count)).cap.xml\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: xml)))
    }

    /// Why it was lifted, from its chain (the lift entry's reason).
    func liftReason(_ warning: Warning) async throws -> String? {
        guard warning.status == .lifted else { return nil }
        let entries = try await server.store.warnings.timeline(warningID: warning.id)
        guard case .object(let payload)? = entries.last(where: { $0.kind == "warning.lifted" })?.payload,
              case .string(let reason)? = payload["reason"] else { return nil }
        return reason
    }

    /// The public address (`--public-url`), or `http://host:port` as the request reached us, for
    /// links other systems follow; empty without either.
    func base(_ request: Request) -> String {
        if let url = server.publicURL { return url }
        guard let authority = request.head.authority, !authority.isEmpty, !authority.contains(where: { $0 == "/" || $0 == " " || $0 == "<" || $0 == "&" }) else { return "" }
        let scheme = request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https" ? "https" : "http"
        return "\(scheme)://\(authority)"
    }

    /// What the public is shown: warnings in force and not past their end time, newest first.
    func publicWarnings() async throws -> [Warning] {
        let now = server.clock.now()
        return try await server.store.warnings.warnings(WarningQuery(currentOnly: true, limit: Self.listLimit)).filter { !$0.hasEnded(at: now) }
    }

    /// JSON Feed 1.1 of the warnings in force now, for other systems; public.
    @Sendable func feed(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let current = try await publicWarnings()
        let base = base(request)
        let items: [JSONValue] = current.compactMap { warning in
            guard let version = warning.inForce, let plan = server.catalog.plan(forJurisdiction: warning.jurisdiction) else { return nil }
            let content = version.content
            let colour = plan.warnings.levels.first { $0.level == content.level }
            let grading = colour.flatMap { CAPGrading.byColour[$0.colour] } ?? .unknown
            let first = warning.versions.compactMap(\.publishedAt).first ?? warning.createdAt
            return [
                "id": .string(warning.id),
                "url": .string("\(base)/public/warnings#\(warning.id)"),
                "external_url": .string("\(base)/api/v1/warnings/\(warning.id).cap.xml"),
                "title": .string(plan.warningHeadline(content, jurisdictionName: jurisdictionName(warning.jurisdiction))),
                "content_text": .string([content.warnings, content.developments, content.measures, content.hotline.isEmpty ? "" : "咨询电话：\(content.hotline)"]
                    .filter { !$0.isEmpty }.joined(separator: "\n")),
                "date_published": .time(first),
                "date_modified": .time(version.publishedAt),
                "language": "zh-CN",
                "tags": .array([.string(plan.colourName(content.level)), .string(content.category)]),
                "_yingji": [
                    "jurisdiction": .string(warning.jurisdiction), "level": .int(Int64(content.level)), "colour": .optional(colour?.colour),
                    "severity": .string(grading.severity), "urgency": .string(grading.urgency), "certainty": .string(grading.certainty),
                    "issuer": .string(content.issuer), "area": Self.area(content.area), "startsAt": .time(content.startsAt), "endsAt": .time(content.endsAt),
                    "cap": .string("\(base)/api/v1/warnings/\(warning.id).cap.xml"), "unit": .optional(warning.unit?.name),
                ],
            ]
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/feed+json; charset=utf-8"
        let body: JSONValue = ["version": "https://jsonfeed.org/version/1.1", "title": "生产安全事故预警（当前有效）", "language": "zh-CN",
                               "home_page_url": .string("\(base)/public/warnings"), "feed_url": .string("\(base)/api/v1/feeds/warnings.json"),
                               "items": .array(items)]
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.responseData)))
    }

    // MARK: writing

    @Sendable func create(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let write = try await IdempotentWrite(request, context: context)
        let body = try JSONBody(write.body, allowed: Self.createFields)
        let draft = try await prepareDraft(body, identity: identity)
        return try await write.run(status: .created, repository: server.store.incidents, now: server.clock.now(), render: render,
                                   headers: { warning in [.location: "/api/v1/warnings/\(warning.id)"] }) { answer in
            let warning = try await server.warnings.draft(jurisdiction: draft.jurisdiction, content: draft.content, incidentID: draft.incidentID,
                                                          unit: draft.unit, notified: draft.notified, actor: identity.actorName, answer: answer)
            await publishEvent("warning.changed", warning)
            return warning
        }
    }

    struct Draft {
        let jurisdiction: String
        let content: WarningContent
        let incidentID: String?
        let unit: WarningUnit?
        let notified: [String]
    }

    /// Reads and checks a new warning: the jurisdiction, the unit for a unit warning (the
    /// account must report for it), neighbours, the incident it concerns, and the content.
    func prepareDraft(_ body: JSONBody, identity: Identity) async throws -> Draft {
        let tree = server.catalog.tree
        var unit: WarningUnit?
        var jurisdiction = try body.string("jurisdiction")
        if let organisationID = try body.string("organisationID") {
            guard let organisation = try await server.store.accounts.organisations().first(where: { $0.id == organisationID }) else {
                throw APIError(.unprocessableContent, "warning.unknown_unit", "没有登记单位「\(organisationID)」", field: "organisationID")
            }
            if let given = jurisdiction, given != organisation.jurisdictionID {
                throw APIError(.unprocessableContent, "warning.unit_jurisdiction", "单位「\(organisation.name)」在辖区「\(organisation.jurisdictionID)」，与 jurisdiction 不符", field: "jurisdiction")
            }
            jurisdiction = organisation.jurisdictionID
            unit = WarningUnit(organisationID: organisation.id, name: organisation.name)
        }
        guard let jurisdiction else { throw APIError(.unprocessableContent, "body.missing_field", "缺少字段「jurisdiction」", field: "jurisdiction") }
        guard let plan = server.catalog.plan(forJurisdiction: jurisdiction) else {
            throw APIError(.unprocessableContent, "jurisdiction.unknown", "未知辖区「\(jurisdiction)」或其未绑定预案", field: "jurisdiction")
        }
        let access = IncidentAccess(jurisdiction: jurisdiction, organisationID: unit?.organisationID)
        if let unit {
            guard identity.may(.draftWarning, on: access, tree: tree) else { throw APIError.denied(.draftWarning) }
            guard unitPosts(identity, access: access).contains(unit.post) else {
                throw APIError(.forbidden, "warning.not_unit_reporter", "本单位预警须由「\(unit.name)」的企业报告员发布", field: "organisationID")
            }
        } else if !identity.may(.draftWarning, on: access, tree: tree) {
            // An enterprise reporter here drafts its own unit's warnings only.
            if !identity.grants(for: .draftWarning, in: jurisdiction, tree: tree).filter({ $0.role.visibility == .ownUnit }).isEmpty {
                throw APIError(.forbidden, "warning.unit_only", "企业报告员只能发布本单位预警（须给出 organisationID）", field: "organisationID")
            }
            throw APIError.denied(.draftWarning)
        }
        let neighbours = try body.stringArray("neighbours")
        for (index, neighbour) in neighbours.enumerated() where !tree.contains(neighbour) || neighbour == jurisdiction {
            throw APIError(.unprocessableContent, "warning.unknown_neighbour", "「\(neighbour)」不是本辖区以外的已登记辖区", field: "neighbours[\(index)]")
        }
        // A unit warning goes up the line at once, to the jurisdictions above it under the same plan
        // (Kunyu 4.2.2: a 团场's unit reports to the 团场 and the 师市; Bachu 3.3: 事发地人民政府).
        let upward = unit == nil ? [] : tree.lineage(jurisdiction).dropFirst().filter { tree.planID($0) == plan.id }
        var notified: [String] = []
        for id in upward + neighbours where !notified.contains(id) { notified.append(id) }
        let incidentID = try await linkedIncident(try body.string("incidentID"), identity: identity)
        let level = try body.int("level").map { Int(clamping: $0) } ?? 0
        let defaultIssuer = unit?.name ?? plan.warnings.approval(for: level)?.approvedBy.first.map(plan.roleName) ?? ""
        let content = try Self.content(body, plan: plan, defaults: nil, issuer: defaultIssuer)
        return Draft(jurisdiction: jurisdiction, content: content, incidentID: incidentID, unit: unit, notified: notified)
    }

    /// An incident the account can see, to link a warning to.
    func linkedIncident(_ id: String?, identity: Identity) async throws -> String? {
        guard let id else { return nil }
        do {
            return try await server.visibleIncident(id, identity: identity).id
        } catch let error as APIError where error.status == .notFound {
            throw APIError(.unprocessableContent, "warning.unknown_incident", "没有事故 \(id)", field: "incidentID")
        }
    }

    @Sendable func move(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let warning = try await visibleWarning(try context.parameters.require("id"), identity: identity)
        let write = try await IdempotentWrite(request, context: context)
        let body = try JSONBody(write.body, allowed: Self.moveFields)
        let command = try await prepareMove(body, warning: warning, identity: identity)
        let version = try IncidentRoutes.version(body)
        return try await write.run(status: .ok, repository: server.store.incidents, now: server.clock.now(), render: render) { answer in
            let updated = try await server.warnings.apply(warning.id, command, expectedVersion: version, actor: identity.actorName, answer: answer)
            await publishEvent(Self.event(before: warning, after: updated), updated)
            return updated
        }
    }

    /// Reads one move and checks the account may make it, in the post it holds. Shared by the API and the pages.
    func prepareMove(_ body: JSONBody, warning: Warning, identity: Identity) async throws -> WarningCommand {
        let name = try body.requiredString("move")
        guard Self.moves.contains(name) else {
            throw APIError(.unprocessableContent, "warning.unknown_move", "未知操作「\(name)」，可选：\(Self.moves.joined(separator: "、"))", field: "move")
        }
        guard let plan = server.catalog.plan(forJurisdiction: warning.jurisdiction) else {
            throw APIError(.conflict, "jurisdiction.unknown", "预警所在辖区「\(warning.jurisdiction)」未绑定预案")
        }
        let access = Self.access(warning)
        let tree = server.catalog.tree
        let held = posts(identity, warning: warning, plan: plan)
        func require(_ action: Action) throws {
            guard identity.may(action, on: access, tree: tree) else { throw APIError.denied(action) }
        }
        // A unit warning is moved by its own unit's reporter (who holds `unit:<id>`), a government one by holders of the plan's posts.
        func requireIssuing() throws {
            if let unit = warning.unit {
                guard held.contains(unit.post) else { throw APIError(.forbidden, "warning.not_unit_reporter", "本单位预警由「\(unit.name)」发布和解除", field: "post") }
            } else {
                try require(.issueWarning)
            }
        }
        switch name {
        case "submit":
            try require(.draftWarning)
            return .submit
        case "approve":
            try require(.issueWarning)
            let level = warning.current?.content.level ?? 0
            // The level's approvers, and the adjustment's where the plan names them (Lhasa 3.2).
            let allowed = warning.status == .submitted ? warning.approvers(plan: plan) : plan.warnings.approval(for: level)?.approvedBy ?? []
            guard try body.string("post") != nil || allowed.contains(where: held.contains) else {
                throw APIError(.forbidden, "warning.not_authorised", "\(warning.approvalRequirement(plan: plan))；您不持有该岗位", field: "post")
            }
            return .approve(post: try choosePost(body, held: held, allowed: allowed, plan: plan, what: "审定", level: level))
        case "returnForRevision":
            try require(.issueWarning)
            let level = warning.current?.content.level ?? 0
            let given = warning.current
            let allowed = warning.approvers(plan: plan) + [given?.approvedPost, given?.adjustmentApprovedPost].compactMap { $0 }
            return .returnForRevision(post: try choosePost(body, held: held, allowed: allowed, plan: plan, what: "退回", level: level),
                                      reason: try body.requiredString("reason"))
        case "publish":
            try requireIssuing()
            let level = warning.current?.content.level ?? 0
            return .publish(post: try choosePost(body, held: held, allowed: warning.publishers(plan: plan), plan: plan, what: "发布", level: level))
        case "lift":
            try requireIssuing()
            let given = try body.string("post")
            let post = given ?? warning.issuerPost.flatMap { held.contains($0) ? $0 : nil } ?? held.first ?? ""
            if let given, !held.contains(given) {
                throw APIError(.forbidden, "warning.not_holder", "您不是「\(plan.roleName(given))」的持有人", field: "post")
            }
            return .lift(post: post, reason: try body.requiredString("reason"))
        case "adjust":
            try require(.draftWarning)
            if warning.unit != nil { try requireIssuing() }
            guard let current = warning.current?.content else { throw APIError(.conflict, "warning.empty", "预警没有内容") }
            let changes = try body.object("content", allowed: Self.contentFields) ?? JSONBody(.object([:]), allowed: [], path: "content.")
            // Grounds are required for a published warning's adjustment; the core says so, naming `reason`.
            return .adjust(try Self.content(changes, plan: plan, defaults: current, issuer: current.issuer), reason: try body.string("reason") ?? "")
        case "completeAction":
            try require(.actOnWarning)
            return .completeAction(id: try body.requiredString("actionID"), note: try body.string("note"))
        case "assignAction":
            try require(.actOnWarning)
            return .assignAction(id: try body.requiredString("actionID"), owner: try body.requiredString("owner"))
        default:
            try require(.draftWarning)
            guard let incident = try await linkedIncident(try body.requiredString("incidentID"), identity: identity) else {
                throw APIError(.unprocessableContent, "body.missing_field", "缺少字段「incidentID」", field: "incidentID")
            }
            return .linkIncident(incident)
        }
    }

    /// The post to act in: the one named (it must be held), else the first allowed one held.
    /// Whether that post may approve or publish this level is the core's check, clause in hand.
    func choosePost(_ body: JSONBody, held: [String], allowed: [String], plan: Plan, what: String, level: Int) throws -> String {
        if let given = try body.string("post") {
            guard held.contains(given) else {
                throw APIError(.forbidden, "warning.not_holder", "您不是「\(plan.roleName(given))」的持有人", field: "post")
            }
            return given
        }
        if let post = allowed.first(where: held.contains) { return post }
        let clause = plan.warnings.approval(for: level).map { "（\($0.source)）" } ?? ""
        throw APIError(.forbidden, "warning.not_authorised",
                       "\(plan.colourName(level))预警须由\(allowed.map(plan.roleName).joined(separator: "或"))\(what)\(clause)；您不持有该岗位", field: "post")
    }

    // MARK: access

    /// A warning is its jurisdiction's (and its unit's, for a unit warning).
    static func access(_ warning: Warning) -> IncidentAccess {
        IncidentAccess(jurisdiction: warning.jurisdiction, organisationID: warning.unit?.organisationID)
    }

    func canSee(_ warning: Warning, identity: Identity) -> Bool {
        let tree = server.catalog.tree
        if identity.may(.readWarning, on: Self.access(warning), tree: tree) { return true }
        // Jurisdictions it was reported or notified to read it as their own, once it is out (never its drafts).
        guard warning.inForce != nil else { return false }
        return warning.notified.contains { identity.may(.readWarning, on: IncidentAccess(jurisdiction: $0), tree: tree) }
    }

    func visibleWarning(_ id: String, identity: Identity) async throws -> Warning {
        guard let warning = try await server.store.warnings.warning(id: id), canSee(warning, identity: identity) else {
            throw APIError(.notFound, "warning.not_found", "没有预警 \(id)")
        }
        return warning
    }

    /// The plan posts the account holds for this warning, and `unit:<id>` for the units it reports for.
    /// A plan's posts are held through grants in the jurisdiction the plan is bound to at its top
    /// (the 师市, not a 团场 under the same plan): Kunyu 4.2.4 names the 师市 as the approver.
    func posts(_ identity: Identity, warning: Warning, plan: Plan) -> [String] {
        let access = Self.access(warning)
        return identity.planRoles(on: access, plan: plan, tree: server.catalog.tree) + unitPosts(identity, access: access)
    }

    func unitPosts(_ identity: Identity, access: IncidentAccess) -> [String] {
        identity.grants(covering: access, tree: server.catalog.tree).filter { $0.role.visibility == .ownUnit && Permissions.allows($0.role, .draftWarning) }
            .compactMap { $0.organisationID.map { "unit:\($0)" } }
    }

    func jurisdictionName(_ id: String) -> String { server.catalog.jurisdiction(id)?.name ?? id }

    /// `warning.reported` when a move just published a unit's own warning (it went up the line), else `warning.changed`.
    static func event(before: Warning, after: Warning) -> String {
        after.unit != nil && after.status == .published && before.status != .published ? "warning.reported" : "warning.changed"
    }

    /// Tells every jurisdiction the warning belongs or was reported to.
    func publishEvent(_ name: String, _ warning: Warning) async {
        let summary: JSONValue = ["warningID": .string(warning.id), "status": .string(warning.status.rawValue),
                                  "level": .int(Int64(warning.current?.content.level ?? 0)), "jurisdiction": .string(warning.jurisdiction)]
        server.events.publish(name, summary, access: Self.access(warning))
        for jurisdiction in warning.notified where warning.inForce != nil {
            server.events.publish(name, summary, access: IncidentAccess(jurisdiction: jurisdiction))
        }
    }

    // MARK: reading bodies and rendering

    /// A warning's content from a body; with `defaults`, missing fields keep the current version's values (an adjustment).
    static func content(_ body: JSONBody, plan: Plan, defaults: WarningContent?, issuer: String) throws -> WarningContent {
        func text(_ key: String, _ current: String?) throws -> String { try body.string(key) ?? current ?? "" }
        let level: Int
        if let given = try body.int("level") {
            level = Int(clamping: given)
        } else if let current = defaults?.level {
            level = current
        } else {
            throw APIError(.unprocessableContent, "body.missing_field", "缺少字段「\(body.path)level」", field: body.path + "level")
        }
        guard let startsAt = try body.time("startsAt") ?? defaults?.startsAt else {
            throw APIError(.unprocessableContent, "body.missing_field", "缺少字段「\(body.path)startsAt」", field: body.path + "startsAt")
        }
        let area: WarningArea
        if let given = try body.object("area", allowed: ["description", "polygon", "circle"]) {
            var parsed = WarningArea(description: try given.string("description") ?? defaults?.area.description ?? "")
            if let polygon = try given.string("polygon") {
                guard let points = WarningArea.parsePolygon(polygon) else {
                    throw APIError(.unprocessableContent, "warning.coordinates", "范围多边形须写成「纬度,经度 纬度,经度 …」（WGS 84，如 39.91,87.53）", field: given.path + "polygon")
                }
                parsed.polygon = points
            }
            if let circle = try given.string("circle") {
                guard let value = WarningArea.parseCircle(circle) else {
                    throw APIError(.unprocessableContent, "warning.coordinates", "范围圆须写成「纬度,经度 半径公里」，如 39.91,87.53 5", field: given.path + "circle")
                }
                parsed.circle = value
            }
            area = parsed
        } else if let current = defaults?.area {
            area = current
        } else {
            throw APIError(.unprocessableContent, "body.missing_field", "缺少字段「\(body.path)area」", field: body.path + "area")
        }
        let endsAt = body.has("endsAt") ? try body.time("endsAt") : defaults?.endsAt
        let content = WarningContent(
            level: level, issuer: try text("issuer", defaults?.issuer ?? issuer), category: try text("category", defaults?.category),
            startsAt: startsAt, endsAt: endsAt, area: area, warnings: try text("warnings", defaults?.warnings),
            developments: try text("developments", defaults?.developments), measures: try text("measures", defaults?.measures),
            hotline: try text("hotline", defaults?.hotline),
            channels: body.has("channels") ? try body.stringArray("channels") : defaults?.channels ?? [],
            specialAudiences: body.has("specialAudiences") ? try body.stringArray("specialAudiences") : defaults?.specialAudiences ?? [])
        do {
            try plan.check(content)
        } catch let error as IncidentError {
            // The core names the field inside the content; an adjustment's fields live under `content.`.
            throw APIError(.unprocessableContent, error.code, error.message, field: error.field.map { body.path + $0 })
        }
        return content
    }

    static func area(_ area: WarningArea) -> JSONValue {
        ["description": .string(area.description), "polygon": .optional(area.capPolygon), "circle": .optional(area.capCircle)]
    }

    func render(_ warning: Warning) -> JSONValue {
        let plan = server.catalog.plan(forJurisdiction: warning.jurisdiction)
        func version(_ version: WarningVersion) -> JSONValue {
            let content = version.content
            let colour = plan?.warnings.levels.first { $0.level == content.level }
            return [
                "number": .int(Int64(version.number)), "reason": .optional(version.reason),
                "level": .int(Int64(content.level)), "colour": .optional(colour?.colour), "colourName": .optional(colour?.colourName),
                "issuer": .string(content.issuer), "category": .string(content.category), "startsAt": .time(content.startsAt), "endsAt": .time(content.endsAt),
                "area": Self.area(content.area), "warnings": .string(content.warnings), "developments": .string(content.developments),
                "measures": .string(content.measures), "hotline": .string(content.hotline),
                "channels": .array(content.channels.map(JSONValue.string)), "specialAudiences": .array(content.specialAudiences.map(JSONValue.string)),
                "submittedBy": .optional(version.submittedBy), "submittedAt": .time(version.submittedAt),
                "approvedPost": .optional(version.approvedPost), "approvedPostName": .optional(version.approvedPost.flatMap { post in plan?.roleName(post) }),
                "approvedBy": .optional(version.approvedBy), "approvedAt": .time(version.approvedAt),
                "adjustmentApprovedPost": .optional(version.adjustmentApprovedPost), "adjustmentApprovedBy": .optional(version.adjustmentApprovedBy),
                "adjustmentApprovedAt": .time(version.adjustmentApprovedAt), "returnedReason": .optional(version.returnedReason),
                "publishedBy": .optional(version.publishedBy), "publishedAt": .time(version.publishedAt),
            ]
        }
        let actions: [JSONValue] = warning.actions.map { action in
            ["id": .string(action.id), "itemID": .string(action.itemID), "text": .string(action.text), "source": .string(action.source),
             "level": .int(Int64(action.level)), "owner": .optional(action.owner), "status": .string(action.status.rawValue),
             "note": .optional(action.note), "doneBy": .optional(action.doneBy), "doneAt": .time(action.doneAt)]
        }
        let issuerName: String? = warning.issuerPost.map { post in warning.unit.map { $0.post == post ? $0.name : post } ?? plan?.roleName(post) ?? post }
        return [
            "id": .string(warning.id), "planID": .string(warning.planID), "jurisdiction": .string(warning.jurisdiction),
            "jurisdictionName": .string(jurisdictionName(warning.jurisdiction)),
            "status": .string(warning.status.rawValue), "statusName": .string(warning.status.chineseName), "version": .int(Int64(warning.version)),
            "current": warning.current.map(version) ?? .null, "inForce": warning.inForce.map(version) ?? .null,
            "versions": .array(warning.versions.map(version)), "actions": .array(actions),
            "issuerPost": .optional(warning.issuerPost), "issuerPostName": .optional(issuerName),
            "unit": warning.unit.map { ["organisationID": .string($0.organisationID), "name": .string($0.name)] } ?? .null,
            "notified": .array(warning.notified.map(JSONValue.string)), "incidentID": .optional(warning.incidentID),
            "liftedAt": .time(warning.liftedAt), "liftedBy": .optional(warning.liftedBy),
            "createdAt": .time(warning.createdAt), "updatedAt": .time(warning.updatedAt),
            "allowedMoves": .array(warning.allowedMoves.map(JSONValue.string)),
            "cap": warning.capMessages.isEmpty ? .null : .string("/api/v1/warnings/\(warning.id).cap.xml"),
            "capMessages": .int(Int64(warning.capMessages.count)),
        ]
    }
}
