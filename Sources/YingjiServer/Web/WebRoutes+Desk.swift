import Foundation
import HTTPTypes
import Hummingbird
import YingjiCore

/// 值班台: the initial-report form with every field the jurisdiction's plan requires, grouped as
/// the paper forms are, and a preview of what the plan makes of the figures (grade, criterion
/// with its clause, response level, who decides and signs, the deadlines that will start).
/// Without JavaScript the 预览 button posts the form and the page comes back with the preview;
/// with it the preview follows the typing (`GET /desk/preview`, the same fragment).
extension WebRoutes {
    @Sendable func desk(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let places = reportingJurisdictions(identity)
        let query = request.uri.queryParameters
        guard var place = Self.chosen(places, query["jurisdiction"].map(String.init)) else { return deskDenied(identity) }
        guard let warningID = query["warning"].map(String.init), !warningID.isEmpty else {
            return try await deskPage(identity, places: places, place: place, form: nil)
        }
        // Reporting from a warning: its place and category start the form, and the report made is linked to it.
        guard let warning = try? await warningRoutes.visibleWarning(warningID, identity: identity),
              let home = places.first(where: { $0.id == warning.jurisdiction }), let plan = server.catalog.plan(forJurisdiction: home.id),
              let content = warning.current?.content else {
            return try await deskPage(identity, places: places, place: place, form: nil, status: .notFound, notice: pages.text("deskNoWarning"))
        }
        place = home
        let encode = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
        let body = FormBody("category=\(encode(plan.category(named: content.category)?.id ?? content.category))&place=\(encode(content.area.description))&warning=\(encode(warning.id))")
        var report = ReportForm(body, kind: .initial, plan: plan, now: server.clock.now(), text: pages.text)
        report.errors = [:]
        return try await deskPage(identity, places: places, place: place, form: (body, report), fromWarning: warning)
    }

    /// The preview fragment for the live panel: figures and times from the query string.
    @Sendable func deskPreview(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let query = request.uri.queryParameters
        guard let place = Self.chosen(reportingJurisdictions(identity), query["jurisdiction"].map(String.init)),
              let plan = server.catalog.plan(forJurisdiction: place.id) else { throw HTTPError(.notFound) }
        let form = ReportForm(FormBody(request.uri.query ?? ""), kind: .initial, plan: plan, now: server.clock.now(), text: pages.text)
        return pages.fragment("preview", values: ["preview": preview(form, plan: plan)])
    }

    @Sendable func submitDesk(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        var request = request
        let identity = try context.requireIdentity()
        let buffer = try await request.collectBody(upTo: Server.maxFormBytes)
        let form = FormBody(buffer)
        let places = reportingJurisdictions(identity)
        guard let place = Self.chosen(places, form["jurisdiction"]), place.id == form["jurisdiction"],
              let plan = server.catalog.plan(forJurisdiction: place.id) else { return deskDenied(identity) }
        let now = server.clock.now()
        var report = ReportForm(form, kind: .initial, plan: plan, now: now, text: pages.text)
        // The warning the report was started from, while the account may still see it.
        var warning: Warning?
        if let id = form["warning"], !id.isEmpty { warning = try? await warningRoutes.visibleWarning(id, identity: identity) }
        if form["intent"] == "preview" || !report.isValid {
            return try await deskPage(identity, places: places, place: place, form: (form, report), status: report.isValid ? .ok : .unprocessableContent,
                                      fromWarning: warning)
        }
        let routes = IncidentRoutes(server: server)
        let write = IdempotentWrite(body: Data(buffer.readableBytesView), key: form["_key"].map { "desk:\($0)" }, identity: identity,
                                    method: "POST", path: "/desk")
        do {
            let unit = form["organisation"].flatMap { $0.isEmpty ? nil : $0 }
            let parties = try await routes.parties(organisation: unit, involved: [], jurisdiction: place.id, identity: identity)
            let outcome = try await write.perform(status: .created, repository: server.store.incidents, now: now, render: routes.render) { answer in
                let incident = try await server.incidents.report(jurisdiction: place.id, report.draft, knownAt: report.knownAt,
                                                                 actor: identity.actorName, parties: parties, answer: answer)
                server.events.publish("incident.created", IncidentView.summary(incident), access: incident.access)
                return incident
            }
            switch outcome {
            case .done(let incident):
                if let warning { await link(warning, to: incident.id, identity: identity) }
                return Self.redirect("/incidents/\(incident.id)")
            case .replayed(let stored): return Self.redirect("/incidents/\(try Self.storedID(stored))")
            }
        } catch {
            guard let api = APIError.from(error) else { throw error }
            // A form sent before (it made an incident) and changed since is another report: it
            // gets a key of its own once it has been checked.
            let resent = api.code == "idempotency.key_reused"
            report.errors[resent ? "form" : api.field ?? "form"] = resent ? pages.text("deskResent") : api.message
            return try await deskPage(identity, places: places, place: place, form: (form, report), status: resent ? .conflict : api.status, freshKey: resent,
                                      fromWarning: warning)
        }
    }

    /// Links the warning to the incident just reported from it, as the warning's `linkIncident`
    /// move (the same checks as on the warning page). The report stands whatever happens here; a
    /// warning that moved meanwhile is read again once, and a link refused is logged, not hidden:
    /// the incident page lists the warnings linked to it.
    private func link(_ warning: Warning, to incidentID: String, identity: Identity) async {
        let routes = warningRoutes
        var current = warning
        for attempt in 0..<2 {
            do {
                let body = try JSONBody(.object(["move": "linkIncident", "incidentID": .string(incidentID)]), allowed: WarningRoutes.moveFields, path: "")
                let command = try await routes.prepareMove(body, warning: current, identity: identity)
                let updated = try await server.warnings.apply(current.id, command, expectedVersion: current.version, actor: identity.actorName, answer: nil)
                await routes.publishEvent("warning.changed", updated)
                return
            } catch let error as IncidentError where error.code == "incident.version_conflict" && attempt == 0 {
                guard let fresh = try? await routes.visibleWarning(current.id, identity: identity) else { break }
                current = fresh
            } catch {
                server.logger.warning("report from a warning not linked to it", metadata: [
                    "warning": "\(warning.id)", "incident": "\(incidentID)", "error": "\(String(reflecting: error))"])
                return
            }
        }
    }

    /// The desk for an account that may report nowhere.
    private func deskDenied(_ identity: Identity) -> Response {
        pages.page("desk", title: pages.text("deskTitle"), identity: identity, catalog: server.catalog, status: .forbidden, values: ["mayNotReport": true])
    }

    /// Where this account may report an incident: jurisdictions with a plan under a grant that allows it.
    func reportingJurisdictions(_ identity: Identity) -> [RegisteredJurisdiction] {
        server.catalog.jurisdictions.filter { place in
            place.planID != nil && !identity.grants(for: .reportIncident, in: place.id, tree: server.catalog.tree).isEmpty
        }
    }

    static func chosen(_ places: [RegisteredJurisdiction], _ id: String?) -> RegisteredJurisdiction? {
        places.first { $0.id == id } ?? places.first
    }

    private func deskPage(_ identity: Identity, places: [RegisteredJurisdiction], place: RegisteredJurisdiction,
                          form: (body: FormBody, report: ReportForm)?, status: HTTPResponse.Status = .ok, freshKey: Bool = false,
                          fromWarning: Warning? = nil, notice: String? = nil) async throws -> Response {
        guard let plan = server.catalog.plan(forJurisdiction: place.id) else { return deskDenied(identity) }
        let report = form?.report
        let groups = FormLayout.groups(plan: plan, kind: .initial, report: report, pages: pages)
        let inputs = Set(groups.flatMap { ($0["fields"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } })
        // An enterprise reporter for several units says which one (one unit: it is that one).
        let units = identity.grants(for: .reportIncident, in: place.id, tree: server.catalog.tree).compactMap(\.organisationID)
        var values: [String: Any] = [
            "jurisdictionID": place.id, "jurisdictionName": place.name, "planName": plan.name,
            "places": places.map { ["id": $0.id, "name": $0.name, "current": $0.id == place.id] },
            "manyPlaces": places.count > 1,
            "csrf": WebPages.csrf(identity),
            // A new key per blank form; a form sent back with errors keeps its key.
            "formKey": (freshKey ? nil : form?.body["_key"]) ?? Self.newFormKey(),
            "groups": groups,
            "previewFields": (["jurisdiction", "category", "occurredAt", "knownAt"] + ReportForm.figureMetrics(plan).map(\.rawValue)).joined(separator: " "),
            "source": plan.reporting.initialReportSource?.clause ?? "",
        ]
        if let warning = fromWarning, let content = warning.current?.content {
            values["fromWarning"] = ["id": warning.id, "headline": plan.warningHeadline(content, jurisdictionName: place.name)]
        }
        if let notice {
            values["errors"] = [["message": notice]]
            values["hasErrors"] = true
        }
        if let report {
            values["preview"] = preview(report, plan: plan)
            // Each message links to its field; one about the whole form (or a field not on it) stands alone.
            let messages = report.errors.sorted { $0.key < $1.key }.map { error -> [String: Any] in
                inputs.contains(error.key) ? ["field": error.key, "message": error.value] : ["message": error.value]
            }
            values["errors"] = messages
            values["hasErrors"] = !messages.isEmpty
        }
        if units.count > 1 {
            let chosen = form?.body["organisation"]
            let organisationNames = Dictionary(try await server.store.accounts.organisations().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
            values["hasUnits"] = true
            values["units"] = units.map { ["id": $0, "name": organisationNames[$0] ?? $0, "selected": $0 == chosen] }
        }
        return pages.page("desk", title: pages.text("deskTitle"), identity: identity, catalog: server.catalog, status: status, values: values)
    }

    /// What the plan makes of the figures typed so far.
    func preview(_ report: ReportForm, plan: Plan) -> [String: Any] {
        let now = server.clock.now()
        let category = report.draft.category.flatMap(plan.category(named:))
        let result = plan.classify(AccidentFigures(report.draft.figures), category: category, knownAt: report.knownAt ?? now,
                                   occurredAt: report.draft.occurredAt)
        var values: [String: Any] = [
            "gradeName": result.grade?.chineseName ?? pages.text("noGradeLong"),
            "gradeClass": result.grade.map { String($0.number) } ?? "none",
            // The criteria that set the grade; lesser matches (10人以下重伤 beside 3 deaths) would only confuse.
            "criteria": result.decision.matched.filter { $0.grade == result.grade }.map { ["text": $0.criterion.text ?? $0.criterion.rangeDescription, "source": $0.source.clause] },
            "deadlines": result.obligations.map { item -> [String: Any] in
                var row: [String: Any] = [
                    "text": item.rule.text ?? "\(plan.roleName(item.rule.from)) → \(plan.roleName(item.rule.to))",
                    "limit": item.rule.limitDescription, "channel": item.rule.channel.chineseName, "source": item.rule.source.clause,
                    "due": item.dueAt.map(Self.display) ?? pages.text("clockNotStarted"),
                ]
                if let due = item.dueAt { row["dueISO"] = Timestamp.format(due) }
                return row
            },
            "leads": result.leadDepartments.map { WebPages.present(["case": $0.subCaseName ?? "", "units": $0.units.joined(separator: "、"), "source": $0.source.clause]) },
        ]
        values["hasCriteria"] = result.grade != nil
        values["hasLeads"] = !result.leadDepartments.isEmpty
        if let level = result.responseLevel { values["level"] = level.chineseName }
        if let authority = result.authority {
            values["authority"] = WebPages.present([
                "decides": authority.decides.joined(separator: pages.text("or")), "signs": authority.signs.joined(separator: pages.text("or")),
                "proposedBy": authority.proposedBy.joined(separator: pages.text("or")), "precondition": authority.authority.precondition?.text ?? "",
                "source": authority.authority.source.clause,
            ])
        }
        if let scope = result.scope {
            values["scope"] = WebPages.present(["mode": scope.mode.chineseName, "text": scope.text ?? "", "source": scope.source.clause])
        }
        return values
    }

    /// The id in an answer stored under a form's key: a resent form goes where the first one went.
    static func storedID(_ stored: IdempotencyRecord) throws -> String {
        guard case .object(let fields) = try JSONValue.parse(stored.body), case .string(let id)? = fields["id"] else { throw HTTPError(.internalServerError) }
        return id
    }

    static func newFormKey() -> String {
        (0..<2).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 36) }.joined(separator: "-")
    }
}
