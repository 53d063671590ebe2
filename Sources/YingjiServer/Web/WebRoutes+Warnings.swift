import Foundation
import HTTPTypes
import Hummingbird
import YingjiCore

/// 预警 pages: the list with the approval queue, the drafting form, one warning with its
/// versions, moves and measures, and the public list of warnings in force. The forms are read
/// into the API's own bodies and checked by `WarningRoutes` (the same rules, the same messages).
extension WebRoutes {
    var warningRoutes: WarningRoutes { WarningRoutes(server: server) }

    // MARK: the list and the approval queue

    @Sendable func warningsPage(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let routes = warningRoutes
        let visible = try await routes.visibleWarnings(WarningQuery(), identity: identity)
        let queue = visible.filter { mayApprove($0, identity: identity) }
        let toPublish = visible.filter { $0.status == .approved }
        let current = visible.filter(\.isCurrent)
        let drafts = visible.filter { ($0.status == .draft || $0.status == .submitted) && !queue.contains($0) && !$0.isCurrent }
        let lifted = Array(visible.filter { $0.status == .lifted }.prefix(20))
        let sections: [(String, String, [Warning], String)] = [
            ("queue", pages.text("warnQueue"), queue, pages.text("warnQueueNone")),
            ("publish", pages.text("warnToPublish"), toPublish, pages.text("warnNone")),
            ("current", pages.text("warnCurrent"), current, pages.text("warnNone")),
            ("drafts", pages.text("warnDrafts"), drafts, pages.text("warnNone")),
            ("lifted", pages.text("warnLifted"), lifted, pages.text("warnNone")),
        ]
        let values: [String: Any] = [
            "live": "warnings", "pageURL": "/warnings",
            "mayDraft": !identity.grants(for: .draftWarning).isEmpty,
            "sections": sections.map { key, title, list, emptyText -> [String: Any] in
                ["key": key, "title": title, "count": list.count, "empty": list.isEmpty, "emptyText": emptyText, "rows": list.map(warningRow)]
            },
        ]
        return pages.page("warnings", title: pages.text("warnTitle"), identity: identity, catalog: server.catalog, values: values)
    }

    /// Submitted, and the account holds a post the plan names to approve its level.
    func mayApprove(_ warning: Warning, identity: Identity) -> Bool {
        guard warning.status == .submitted, let plan = server.catalog.plan(forJurisdiction: warning.jurisdiction),
              identity.may(.issueWarning, on: WarningRoutes.access(warning), tree: server.catalog.tree) else { return false }
        let held = warningRoutes.posts(identity, warning: warning, plan: plan)
        return warning.approvers(plan: plan).contains(where: held.contains)
    }

    func warningRow(_ warning: Warning) -> [String: Any] {
        let content = warning.current?.content
        let plan = server.catalog.plan(forJurisdiction: warning.jurisdiction)
        return [
            "id": warning.id, "level": content?.level ?? 0, "colourName": content.map { plan?.colourName($0.level) ?? "\($0.level)" } ?? "-",
            "category": content?.category ?? "-", "jurisdictionName": warningRoutes.jurisdictionName(warning.jurisdiction),
            "area": content?.area.description ?? "-", "statusName": warning.status.chineseName, "updated": Self.display(warning.updatedAt),
            "isUnit": warning.unit != nil, "unitName": warning.unit?.name ?? "-",
        ]
    }

    // MARK: drafting

    @Sendable func newWarningPage(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        return try await warningForm(identity, form: nil, key: Self.newFormKey())
    }

    /// Where the account drafts government warnings, and the units whose own warnings it issues.
    func draftingPlaces(_ identity: Identity) async throws -> (jurisdictions: [RegisteredJurisdiction], units: [Organisation]) {
        let tree = server.catalog.tree
        let grants = identity.grants(for: .draftWarning)
        let places = Set(grants.filter { $0.role.visibility == .jurisdiction }.flatMap { tree.subtree($0.jurisdictionID) })
        let jurisdictions = places.sorted().compactMap { server.catalog.jurisdiction($0) }.filter { server.catalog.plan(forJurisdiction: $0.id) != nil }
        let unitIDs = Set(grants.filter { $0.role.visibility == .ownUnit }.compactMap(\.organisationID))
        let units = try await server.store.accounts.organisations().filter {
            unitIDs.contains($0.id) && server.catalog.plan(forJurisdiction: $0.jurisdictionID)?.warnings.unitWarnings != nil
        }
        return (jurisdictions, units)
    }

    func warningForm(_ identity: Identity, form: FormBody?, key: String, status: HTTPResponse.Status = .ok, error: String? = nil) async throws -> Response {
        let (jurisdictions, units) = try await draftingPlaces(identity)
        guard !jurisdictions.isEmpty || !units.isEmpty else {
            return pages.page("notfound", title: pages.text("warnNewTitle"), identity: identity, catalog: server.catalog, status: .forbidden,
                              values: ["message": APIError.denied(.draftWarning).message])
        }
        let chosenUnit = form?["organisationID"].flatMap { id in units.first { $0.id == id } } ?? (jurisdictions.isEmpty ? units.first : nil)
        let chosenPlace = chosenUnit?.jurisdictionID ?? form?["jurisdiction"] ?? jurisdictions.first?.id ?? ""
        let plan = server.catalog.plan(forJurisdiction: chosenPlace)
        let level = form?["level"].flatMap(Int.init) ?? plan?.warnings.levels.last?.level ?? 4
        let channels = Set(form?.all("channel") ?? []), audiences = Set(form?.all("audience") ?? [])
        var typed: [String: String] = [:]
        for name in ["category", "issuer", "startsAt", "endsAt", "areaDescription", "areaPolygon", "areaCircle", "warnings", "developments",
                     "measures", "hotline", "neighbours", "incidentID"] {
            typed[name] = form?[name] ?? ""
        }
        if form == nil { typed["startsAt"] = ReportForm.localValue(server.clock.now()) }
        var values: [String: Any] = [
            "csrf": WebPages.csrf(identity), "key": key, "typed": typed,
            "mayGovernment": !jurisdictions.isEmpty, "hasUnits": !units.isEmpty,
            "units": units.map { ["id": $0.id, "name": $0.name, "selected": $0.id == chosenUnit?.id] as [String: Any] },
            "jurisdictions": jurisdictions.map { ["id": $0.id, "name": $0.name, "selected": $0.id == chosenPlace] as [String: Any] },
            "levels": (plan?.warnings.levels ?? []).map { ["level": $0.level, "name": "\($0.colourName)（\($0.level)级）", "selected": $0.level == level] as [String: Any] },
            "hasChannels": !(plan?.warnings.channels.isEmpty ?? true),
            "channels": (plan?.warnings.channels ?? []).enumerated().map { ["name": $1, "checked": channels.contains($1), "inputID": "w-channel-\($0)"] as [String: Any] },
            "hasAudiences": !(plan?.warnings.specialAudiences.isEmpty ?? true),
            "audiences": (plan?.warnings.specialAudiences ?? []).enumerated().map { ["name": $1, "checked": audiences.contains($1), "inputID": "w-audience-\($0)"] as [String: Any] },
        ]
        if let error { values["formError"] = error }
        return pages.page("warningform", title: pages.text("warnNewTitle"), identity: identity, catalog: server.catalog, status: status, values: values)
    }

    /// The drafting form as the API's body.
    static func warningFields(_ form: FormBody) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        func text(_ name: String) -> String? {
            guard let raw = form[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else { return nil }
            return raw
        }
        for name in ["jurisdiction", "organisationID", "category", "issuer", "warnings", "developments", "measures", "hotline", "incidentID"] {
            if let value = text(name) { fields[name] = .string(value) }
        }
        if let level = text("level") { fields["level"] = Int64(level).map(JSONValue.int) ?? .string(level) }
        for name in ["startsAt", "endsAt"] {
            if let value = text(name) { fields[name] = .string(ReportForm.localTime(value).map(Timestamp.format) ?? value) }
        }
        var area: [String: JSONValue] = ["description": .string(text("areaDescription") ?? "")]
        if let polygon = text("areaPolygon") { area["polygon"] = .string(polygon) }
        if let circle = text("areaCircle") { area["circle"] = .string(circle) }
        fields["area"] = .object(area)
        fields["channels"] = .array(form.all("channel").map(JSONValue.string))
        fields["specialAudiences"] = .array(form.all("audience").map(JSONValue.string))
        if let neighbours = text("neighbours") {
            fields["neighbours"] = .array(neighbours.split(whereSeparator: { $0 == "," || $0 == "，" || $0 == "、" || $0 == " " }).map { .string(String($0)) })
        }
        return fields
    }

    @Sendable func submitWarning(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        var request = request
        let identity = try context.requireIdentity()
        let buffer = try await request.collectBody(upTo: Server.maxFormBytes)
        let form = FormBody(buffer)
        let key = form["key"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.newFormKey()
        let routes = warningRoutes
        do {
            let body = try JSONBody(.object(Self.warningFields(form)), allowed: WarningRoutes.createFields, path: "")
            let draft = try await routes.prepareDraft(body, identity: identity)
            let write = IdempotentWrite(body: Data(buffer.readableBytesView), key: "warning-form:\(key)", identity: identity, method: "POST", path: "/warnings")
            let outcome = try await write.perform(status: .created, repository: server.store.incidents, now: server.clock.now(), render: routes.render) { answer in
                let warning = try await server.warnings.draft(jurisdiction: draft.jurisdiction, content: draft.content, incidentID: draft.incidentID,
                                                              unit: draft.unit, notified: draft.notified, actor: identity.actorName, answer: answer)
                await routes.publishEvent("warning.changed", warning)
                return warning
            }
            switch outcome {
            case .done(let warning): return Self.redirect("/warnings/\(warning.id)")
            case .replayed(let stored): return Self.redirect("/warnings/\(try Self.storedID(stored))")
            }
        } catch {
            guard let api = APIError.from(error) else { throw error }
            // A changed form sent again under its key is a new warning: it gets a key of its own.
            let resent = api.code == "idempotency.key_reused"
            return try await warningForm(identity, form: form, key: resent ? Self.newFormKey() : key, status: resent ? .conflict : api.status,
                                         error: resent ? pages.text("deskResent") : api.field.map { "\($0)：\(api.message)" } ?? api.message)
        }
    }

    // MARK: one warning

    @Sendable func warningPage(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        do {
            let warning = try await warningRoutes.visibleWarning(try context.parameters.require("id"), identity: identity)
            return try await warningView(warning, identity: identity)
        } catch let error as APIError where error.status == .notFound {
            return notFound(identity)
        }
    }

    @Sendable func warningMove(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        var request = request
        let identity = try context.requireIdentity()
        let form = FormBody(try await request.collectBody(upTo: Server.maxFormBytes))
        let routes = warningRoutes
        let warning: Warning
        do {
            warning = try await routes.visibleWarning(try context.parameters.require("id"), identity: identity)
        } catch let error as APIError where error.status == .notFound {
            return notFound(identity)
        }
        do {
            var fields: [String: JSONValue] = ["version": .int(Int64(try formVersion(form)))]
            for name in ["move", "post", "reason", "actionID", "note", "owner", "incidentID"] {
                if let value = form[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty { fields[name] = .string(value) }
            }
            if form["move"] == "adjust" {
                var content: [String: JSONValue] = [:]
                if let level = form["level"] { content["level"] = Int64(level).map(JSONValue.int) ?? .string(level) }
                for name in ["developments", "measures"] where form[name] != nil { content[name] = .string(form[name] ?? "") }
                fields["content"] = .object(content)
            }
            let body = try JSONBody(.object(fields), allowed: WarningRoutes.moveFields, path: "")
            let command = try await routes.prepareMove(body, warning: warning, identity: identity)
            let updated = try await server.warnings.apply(warning.id, command, expectedVersion: try formVersion(form), actor: identity.actorName)
            await routes.publishEvent(WarningRoutes.event(before: warning, after: updated), updated)
            return Self.redirect("/warnings/\(warning.id)")
        } catch {
            guard let api = APIError.from(error) else { throw error }
            return try await warningView(try await server.warnings.warning(warning.id), identity: identity, status: api.status, formError: api.message)
        }
    }

    func warningView(_ warning: Warning, identity: Identity, status: HTTPResponse.Status = .ok, formError: String? = nil) async throws -> Response {
        let routes = warningRoutes
        let tree = server.catalog.tree
        let plan = server.catalog.plan(forJurisdiction: warning.jurisdiction)
        let access = WarningRoutes.access(warning)
        let content = warning.current?.content
        let held = plan.map { routes.posts(identity, warning: warning, plan: $0) } ?? []
        let postName = { (post: String) -> String in warning.unit?.post == post ? warning.unit?.name ?? post : plan?.roleName(post) ?? post }
        var values: [String: Any] = [
            "id": warning.id, "version": warning.version, "csrf": WebPages.csrf(identity), "live": "warning:\(warning.id)", "pageURL": "/warnings/\(warning.id)",
            "level": content?.level ?? 0, "colourName": content.map { plan?.colourName($0.level) ?? "" } ?? "", "category": content?.category ?? "",
            "statusName": warning.status.chineseName, "jurisdictionName": routes.jurisdictionName(warning.jurisdiction), "issuer": content?.issuer ?? "",
            "isUnit": warning.unit != nil, "hasIncident": warning.incidentID != nil, "incidentID": warning.incidentID ?? "-",
            "hasCap": !warning.capMessages.isEmpty, "cap": "/api/v1/warnings/\(warning.id).cap.xml",
            "hasNotified": !warning.notified.isEmpty, "notified": warning.notified.map(routes.jurisdictionName).joined(separator: "、"),
            "developments": content?.developments ?? "", "measures": content?.measures ?? "",
            "levels": (plan?.warnings.levels ?? []).map { ["level": $0.level, "name": "\($0.colourName)（\($0.level)级）", "selected": $0.level == content?.level] as [String: Any] },
        ]
        if let formError { values["formError"] = formError }
        // A warning in force that turns into an accident: the desk opens with what the warning
        // already says, and the report, once made, is linked to the warning.
        if warning.isCurrent, warning.incidentID == nil, identity.may(.draftWarning, on: access, tree: tree),
           reportingJurisdictions(identity).contains(where: { $0.id == warning.jurisdiction }) {
            values["reportFrom"] = "/desk?jurisdiction=\(warning.jurisdiction)&warning=\(warning.id)"
        }
        if let plan, let level = content?.level, warning.unit == nil, let approval = plan.warnings.approval(for: level) {
            var rule = "\(plan.colourName(level))预警由\(approval.approvedBy.map(plan.roleName).joined(separator: "或"))审定（\(approval.source)）"
            if (warning.current?.number ?? 1) > 1, let adjustment = plan.warnings.adjustment, !adjustment.approvedBy.isEmpty {
                rule += "；调整预警级别须经\(adjustment.approvedBy.map(plan.roleName).joined(separator: "或"))批准（\(adjustment.source)）"
            }
            values["rule"] = rule
        }
        // The version in force and, when an adjustment is under way, the one awaiting approval.
        var cards: [(String, String, WarningVersion)] = []
        if let inForce = warning.inForce { cards.append(("version-in-force", pages.text("warnInForce"), inForce)) }
        if let current = warning.current, current.number != warning.inForce?.number { cards.append(("version-pending", pages.text("warnPending"), current)) }
        values["versionCards"] = cards.map { cardID, heading, version -> [String: Any] in
            let c = version.content
            var steps: [[String: String]] = []
            if let by = version.submittedBy, let at = version.submittedAt { steps.append(["label": pages.text("warnSubmittedBy"), "who": by, "at": Self.display(at)]) }
            if let by = version.approvedBy, let at = version.approvedAt {
                steps.append(["label": pages.text("warnApprovedBy"), "who": "\(version.approvedPost.map(postName) ?? "") \(by)", "at": Self.display(at)])
            }
            if let by = version.adjustmentApprovedBy, let at = version.adjustmentApprovedAt {
                steps.append(["label": pages.text("warnAdjustmentApprovedBy"), "who": "\(version.adjustmentApprovedPost.map(postName) ?? "") \(by)", "at": Self.display(at)])
            }
            if let by = version.publishedBy, let at = version.publishedAt { steps.append(["label": pages.text("warnPublishedBy"), "who": by, "at": Self.display(at)]) }
            return [
                "cardID": cardID, "heading": heading, "number": version.number, "level": c.level, "colourName": plan?.colourName(c.level) ?? "\(c.level)",
                "startsAt": Self.display(c.startsAt), "hasEnd": c.endsAt != nil, "endsAt": c.endsAt.map(Self.display) ?? "-",
                "area": c.area.description, "hasPolygon": c.area.polygon != nil, "polygon": c.area.capPolygon ?? "-",
                "hasCircle": c.area.circle != nil, "circle": c.area.capCircle ?? "-", "warnings": c.warnings,
                "hasDevelopments": !c.developments.isEmpty, "developments": c.developments.isEmpty ? "-" : c.developments,
                "hasMeasures": !c.measures.isEmpty, "measures": c.measures.isEmpty ? "-" : c.measures,
                "hasHotline": !c.hotline.isEmpty, "hotline": c.hotline.isEmpty ? "-" : c.hotline,
                "hasReason": version.reason != nil, "reason": version.reason ?? "-", "steps": steps,
                "wasReturned": version.returnedReason != nil, "returned": version.returnedReason ?? "-",
            ]
        }
        // The moves this account may make now, each in the posts it holds that the plan allows.
        let mayDraft = identity.may(.draftWarning, on: access, tree: tree)
        let mayIssue = warning.unit.map { held.contains($0.post) } ?? identity.may(.issueWarning, on: access, tree: tree)
        var moves: [[String: Any]] = []
        func add(_ move: String, label: String, confirm: String, posts: [String] = [], reasonLabel: String? = nil, primary: Bool = true) {
            moves.append(["move": move, "label": label, "confirm": confirm, "primary": primary, "hasPosts": !posts.isEmpty,
                          "posts": posts.map { ["value": $0, "name": postName($0)] }, "needsReason": reasonLabel != nil,
                          "reasonLabel": reasonLabel ?? "-", "isAdjust": move == "adjust"])
        }
        for move in warning.allowedMoves {
            switch move {
            case "submit" where mayDraft: add("submit", label: pages.text("warnSubmit"), confirm: pages.text("warnSubmitConfirm"))
            case "approve" where mayIssue:
                let posts = (plan.map { warning.approvers(plan: $0) } ?? []).filter(held.contains)
                if !posts.isEmpty { add("approve", label: pages.text("warnApprove"), confirm: pages.text("warnApproveConfirm"), posts: posts) }
            case "returnForRevision" where mayIssue:
                let posts = (plan.map { warning.approvers(plan: $0) } ?? []).filter(held.contains)
                if !posts.isEmpty {
                    add("returnForRevision", label: pages.text("warnReturn"), confirm: pages.text("warnReturnConfirm"), posts: posts,
                        reasonLabel: pages.text("warnReturnReason"), primary: false)
                }
            case "publish" where mayIssue:
                let posts = (plan.map { warning.publishers(plan: $0) } ?? []).filter(held.contains)
                if !posts.isEmpty { add("publish", label: pages.text("warnPublish"), confirm: pages.text("warnPublishConfirm"), posts: posts) }
            case "adjust" where mayDraft && (warning.unit == nil || mayIssue):
                if warning.status == .draft {
                    add("adjust", label: pages.text("warnRevise"), confirm: "", primary: false)
                } else {
                    add("adjust", label: pages.text("warnAdjust"), confirm: pages.text("warnAdjustConfirm"), reasonLabel: pages.text("warnAdjustReason"), primary: false)
                }
            case "lift" where mayIssue && warning.issuerPost.map(held.contains) == true:
                add("lift", label: pages.text("warnLift"), confirm: pages.text("warnLiftConfirm"), posts: warning.issuerPost.map { [$0] } ?? [],
                    reasonLabel: pages.text("warnLiftReason"), primary: false)
            default: continue
            }
        }
        values["moves"] = moves
        values["hasMoves"] = !moves.isEmpty
        let mayAct = identity.may(.actOnWarning, on: access, tree: tree) && warning.status != .lifted
        values["hasActions"] = !warning.actions.isEmpty
        values["actions"] = warning.actions.map { action -> [String: Any] in
            [
                "actionID": action.id, "text": action.text, "source": action.source, "statusClass": action.status == .done ? "done" : "assigned",
                "owner": action.owner ?? pages.text("warnOwnerNone"), "isDone": action.status == .done, "doneBy": action.doneBy ?? "-",
                "doneAt": action.doneAt.map(Self.display) ?? "-", "hasNote": action.note != nil, "note": action.note ?? "-",
                "mayAct": mayAct && action.status == .pending, "warningID": warning.id,
            ]
        }
        values["entries"] = try await server.store.warnings.timeline(warningID: warning.id).map { entry in
            ["sequence": entry.sequence, "at": Self.display(entry.at), "actor": entry.actor, "kind": pages.strings["entry.\(entry.kind)"] ?? entry.kind] as [String: Any]
        }
        return pages.page("warning", title: "\(pages.text("warnTitle")) \(warning.id)", identity: identity, catalog: server.catalog, status: status, values: values)
    }

    // MARK: public

    /// The warnings in force, for everyone (no account needed): what a published warning tells the public.
    @Sendable func publicWarnings(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let routes = warningRoutes
        let current = try await routes.publicWarnings()
        let rows: [[String: Any]] = current.compactMap { warning in
            guard let version = warning.inForce, let plan = server.catalog.plan(forJurisdiction: warning.jurisdiction) else { return nil }
            let c = version.content
            return [
                "id": warning.id, "level": c.level, "colourName": plan.colourName(c.level),
                "headline": plan.warningHeadline(c, jurisdictionName: routes.jurisdictionName(warning.jurisdiction)),
                "issuer": c.issuer, "startsAt": Self.display(c.startsAt), "hasEnd": c.endsAt != nil, "endsAt": c.endsAt.map(Self.display) ?? "-",
                "area": c.area.description, "warnings": c.warnings, "hasMeasures": !c.measures.isEmpty, "measures": c.measures.isEmpty ? "-" : c.measures,
                "hasHotline": !c.hotline.isEmpty, "hotline": c.hotline.isEmpty ? "-" : c.hotline, "cap": "/api/v1/warnings/\(warning.id).cap.xml",
            ]
        }
        return pages.page("publicwarnings", title: pages.text("warnPublicTitle"), identity: context.identity, catalog: server.catalog,
                          // Live updates come over the event stream, which needs an account; the public reload the page.
                          values: context.identity == nil ? ["warnings": rows] : ["warnings": rows, "live": "public-warnings", "pageURL": "/public/warnings"])
    }
}
