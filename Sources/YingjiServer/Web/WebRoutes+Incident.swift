import Foundation
import HTTPTypes
import Hummingbird
import YingjiCore

/// 事故详情 and its forms: mark a report fulfilled, add a 续报 / 补报, make a move. Each form
/// posts, and the page comes back: to the incident on success, with the reason otherwise.
/// Every check is the API's own (the same parsing, the same authority, the same service).
extension WebRoutes {
    @Sendable func incidentPage(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.parameters.require("id")
        do {
            return try await incidentView(try await server.visibleIncident(id, identity: identity), identity: identity)
        } catch let error as APIError where error.status == .notFound {
            return notFound(identity)
        }
    }

    @Sendable func fulfil(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let obligationID = try context.parameters.require("obligationID")
        return try await incidentForm(request, context: context, anchor: "obligation-\(obligationID)") { incident, form, identity in
            _ = try await server.authorisedIncident(incident.id, .fulfilObligation, identity: identity)
            guard let channel = form["channel"].flatMap(Channel.init(rawValue:)) else {
                throw APIError(.unprocessableContent, "obligation.channel", pages.text("error.channel"), field: "channel")
            }
            let reference = (form["reference"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reference.isEmpty, reference.count <= 4000 else {
                throw APIError(.unprocessableContent, "obligation.reference", pages.text("error.reference"), field: "reference")
            }
            return try await server.incidents.fulfil(incident.id, obligation: obligationID, channel: channel, reference: reference,
                                                     expectedVersion: try formVersion(form), actor: identity.actorName)
        }
    }

    /// 续报 / 补报 from the incident page.
    @Sendable func addReport(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        try await incidentForm(request, context: context, anchor: "reports") { incident, form, identity in
            _ = try await server.authorisedIncident(incident.id, .followUp, identity: identity)
            guard let kind = form["kind"].flatMap(ReportKind.init(rawValue:)), kind != .initial,
                  let plan = server.catalog.plan(forJurisdiction: incident.jurisdiction) else {
                throw APIError(.unprocessableContent, "report.kind", pages.text("error.reportKind"), field: "kind")
            }
            let report = ReportForm(form, kind: kind, plan: plan, now: server.clock.now(), text: pages.text)
            if let (field, message) = report.errors.sorted(by: { $0.key < $1.key }).first {
                throw APIError(.unprocessableContent, "report.invalid", "\(message)", field: field)
            }
            return try await server.incidents.addReport(incident.id, report.draft, expectedVersion: try formVersion(form), actor: identity.actorName)
        }
    }

    /// A lifecycle move from its button: the form's fields become the API's transition body.
    @Sendable func transition(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        try await incidentForm(request, context: context, anchor: "moves") { incident, form, identity in
            let action = form["action"] ?? ""
            var fields: [String: JSONValue] = ["action": .string(action), "version": .int(Int64(try formVersion(form)))]
            for name in IncidentRoutes.transitionFields[action] ?? [] {
                guard let value = form[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { continue }
                if name == "level" {
                    guard let level = Int64(value) else { throw APIError(.unprocessableContent, "response.unknown_level", pages.text("error.level"), field: "level") }
                    fields[name] = .int(level)
                } else {
                    fields[name] = .string(value)
                }
            }
            let body = try JSONBody(.object(fields), allowed: Set(fields.keys), path: "")
            let command = try IncidentRoutes(server: server).lifecycleCommand(body, incident: incident, identity: identity)
            return try await server.incidents.apply(incident.id, command, expectedVersion: try formVersion(form), actor: identity.actorName)
        }
    }

    /// Reads a form posted to an incident, runs `change`, publishes what changed and goes back to
    /// the incident page; a refusal shows the page again with its reason and status.
    private func incidentForm(_ request: Request, context: YingjiRequestContext, anchor: String,
                              _ change: (Incident, FormBody, Identity) async throws -> Incident) async throws -> Response {
        try await pageForm(request, context: context, back: { "/incidents/\($0)#\(anchor)" }, change: change) { incident, identity, error, form in
            try await incidentView(incident, identity: identity, status: error.status, formError: error.message, typed: form)
        }
    }

    /// A page form on an incident: the incident the account may see, `change`, an event, and
    /// `back` on success; a refusal is `refused` with the incident as it now stands.
    func pageForm(_ request: Request, context: YingjiRequestContext, back: (String) -> String,
                  change: (Incident, FormBody, Identity) async throws -> Incident,
                  refused: (Incident, Identity, APIError, FormBody) async throws -> Response) async throws -> Response {
        var request = request
        let identity = try context.requireIdentity()
        let id = try context.parameters.require("id")
        let form = FormBody(try await request.collectBody(upTo: Server.maxFormBytes))
        let incident: Incident
        do {
            incident = try await server.visibleIncident(id, identity: identity)
        } catch let error as APIError where error.status == .notFound {
            return notFound(identity)
        }
        do {
            let updated = try await change(incident, form, identity)
            server.events.publish("incident.changed", IncidentView.summary(updated), access: updated.access)
            return Self.redirect(back(id))
        } catch {
            // The page again with the reason and with what was typed (at the incident's current
            // version, so after checking it the form can simply be sent again).
            guard let api = APIError.from(error) else { throw error }
            return try await refused(try await server.incidents.incident(id), identity, api, form)
        }
    }

    /// "死亡 3", "直接经济损失 1200万元": the figures given, in the order of `Metric`.
    static func figureTexts(_ figures: AccidentFigures) -> [String] {
        Metric.allCases.compactMap { metric in figures.values[metric].map { "\(metric.chineseName) \(metric == .directLoss ? Money.format($0) : "\($0)")" } }
    }

    func formVersion(_ form: FormBody) throws -> Int {
        guard let version = form["version"].flatMap(Int.init), version >= 1 else {
            throw APIError(.unprocessableContent, "body.invalid_version", pages.text("error.staleForm"), field: "version")
        }
        return version
    }

    func notFound(_ identity: Identity) -> Response {
        pages.page("notfound", title: pages.text("notFoundTitle"), identity: identity, catalog: server.catalog, status: .notFound)
    }

    /// The incident page. `typed` is a form that was refused: its report or move comes back filled in.
    func incidentView(_ incident: Incident, identity: Identity, status: HTTPResponse.Status = .ok, formError: String? = nil,
                      typed: FormBody? = nil) async throws -> Response {
        let plan = server.catalog.plan(forJurisdiction: incident.jurisdiction)
        let tree = server.catalog.tree
        let name = { (role: String) in plan?.roleName(role) ?? role }
        let writable = incident.status != .archived
        let mayFulfil = identity.may(.fulfilObligation, on: incident.access, tree: tree) && writable
        let csrf = WebPages.csrf(identity)
        let grade = incident.grade?.grade
        var values: [String: Any] = [
            "id": incident.id, "version": incident.version, "csrf": csrf, "live": "incident:\(incident.id)", "pageURL": "/incidents/\(incident.id)",
            "grade": grade.flatMap(Grade.init).map(\.chineseName) ?? pages.text("noGrade"),
            "gradeClass": grade.map(String.init) ?? "none",
            "jurisdiction": server.catalog.jurisdiction(incident.jurisdiction)?.name ?? incident.jurisdiction,
            "category": categoryName(incident) ?? pages.text("noCategory"),
            "status": incident.status.chineseName,
            "level": incident.response.map { ResponseLevel($0.level)?.chineseName ?? "\($0.level)" } ?? pages.text("noLevel"),
            "knownAt": Self.display(incident.knownAt),
            "figures": Self.figureTexts(incident.figures).joined(separator: "，"),
            "archived": !writable,
            // The criteria that set the grade (the API lists every match).
            "criteria": (incident.grade?.criteria ?? []).filter { $0.grade == grade }.map { ["text": $0.text ?? $0.metric, "source": $0.source] },
            "hasCriteria": grade != nil,
            "obligations": incident.obligations.map { obligation -> [String: Any] in
                var row: [String: Any] = [
                    "id": obligation.id, "incidentID": incident.id, "version": incident.version, "csrf": csrf,
                    "text": obligationText(obligation, incident: incident),
                    "source": obligation.source, "status": obligation.status.chineseName, "statusClass": obligation.status.rawValue,
                    "due": obligation.dueAt.map(Self.display) ?? pages.text("clockNotStarted"),
                    "open": obligation.status == .pending || obligation.status == .overdue,
                    "canFulfil": mayFulfil && (obligation.status == .pending || obligation.status == .overdue),
                    "channels": Channel.allCases.map { ["value": $0.rawValue, "name": $0.chineseName, "selected": $0 == obligation.channel] },
                ]
                if let due = obligation.dueAt { row["dueISO"] = Timestamp.format(due) }
                if let reason = obligation.retiredReason { row["retired"] = reason }
                if let proof = obligation.fulfilment {
                    row["proof"] = ["by": proof.by, "at": Self.display(proof.at), "channel": proof.channel.chineseName, "reference": proof.reference, "late": proof.late]
                }
                return row
            },
            "reports": incident.reports.map { report -> [String: Any] in
                let figures = Self.figureTexts(report.figures)
                // Always set (never absent): a missing key would show the incident's own figures.
                return ["kind": report.kind.chineseName, "at": Self.display(report.receivedAt), "actor": report.actor,
                        "reportFigures": figures.joined(separator: "，"), "hasFigures": !figures.isEmpty]
            },
        ]
        if let occurred = incident.occurredAt { values["occurredAt"] = Self.display(occurred) }
        if let response = incident.response { values["response"] = ["decidedBy": name(response.decidedBy), "signedBy": name(response.signedBy)] }
        if let holder = incident.commandHolder { values["commandHolder"] = holder }
        if let suspension = incident.suspension { values["suspension"] = suspension }
        if let formError { values["formError"] = formError }
        if let plan {
            if let scope = grade.flatMap(Grade.init).flatMap(plan.response.scope(for:)) {
                values["scope"] = WebPages.present(["mode": scope.mode.chineseName, "text": scope.text ?? "", "source": scope.source.clause])
            }
            let moves = IncidentMoves(incident: incident, plan: plan, identity: identity, tree: tree, pages: pages, typed: typed)
            values["moves"] = moves.forms()
            values["hasMoves"] = !(values["moves"] as? [Any] ?? []).isEmpty
            values["conditions"] = moves.checklist()
            values["hasConditions"] = !plan.termination.conditions.isEmpty
            values["terminationSource"] = plan.termination.source.clause
            if writable && identity.may(.followUp, on: incident.access, tree: tree) {
                values["reportForms"] = [ReportKind.followUp, .late].map { kind in
                    let refused = typed.flatMap { form in form["kind"] == kind.rawValue ? ReportForm(form, kind: kind, plan: plan, now: server.clock.now(), text: pages.text) : nil }
                    return ["kind": kind.rawValue, "title": "\(pages.text("addReport"))（\(kind.chineseName)）", "button": "\(pages.text("submit"))\(kind.chineseName)",
                            "open": refused != nil, "groups": FormLayout.groups(plan: plan, kind: kind, report: refused, pages: pages)] as [String: Any]
                }
            }
        }
        // Warnings about this incident, or that led to it, which the account may read.
        let related = try await warningRoutes.visibleWarnings(WarningQuery(incidentID: incident.id), identity: identity)
        values["hasWarnings"] = !related.isEmpty
        values["relatedWarnings"] = related.map(warningRow)
        if identity.may(.readTimeline, on: incident.access, tree: tree) {
            values["showTimeline"] = true
            values["timeline"] = try await server.store.incidents.timeline(incidentID: incident.id).map { entry in
                ["sequence": entry.sequence, "at": Self.display(entry.at), "actor": entry.actor, "kind": entry.kind,
                 "kindName": pages.strings["entry.\(entry.kind)"] ?? entry.kind] as [String: Any]
            }
        }
        return pages.page("incident", title: "\(pages.text("incidentTitle")) \(incident.id)", identity: identity, catalog: server.catalog,
                          status: status, values: values)
    }
}
