import Foundation
import HTTPTypes
import Hummingbird
import YingjiCore

/// 现场指挥 page: the on-site HQ of one incident — its groups with their tasks and
/// acknowledgement clocks, the forces on scene, the lead department — live, with the forms each
/// account may use. The forms post the API's own operations (`CommandRoutes.prepare`).
extension WebRoutes {
    @Sendable func commandPage(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        do {
            let incident = try await server.visibleIncident(try context.parameters.require("id"), identity: identity)
            return try await commandView(incident, identity: identity)
        } catch let error as APIError where error.status == .notFound {
            return notFound(identity)
        }
    }

    @Sendable func commandForm(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        try await commandPageForm(request, context: context) { incident, form, identity in
            var fields = Self.commandFields(form)
            fields["version"] = .int(Int64(try formVersion(form)))
            // The assignee's name as people know it: the group's, or the registered unit's.
            if case .object(var assignee)? = fields["assignee"], case .string(let kind)? = assignee["kind"], case .string(let target)? = assignee["id"] {
                let unitName = kind == "unit" ? try await server.store.accounts.organisations().first { $0.id == target }?.name : nil
                let name = kind == "group" ? incident.commandPost?.group(target)?.name : unitName
                if let name { assignee["name"] = .string(name) }
                fields["assignee"] = .object(assignee)
            }
            let body = try JSONBody(.object(fields), allowed: CommandRoutes.allFields, path: "")
            let operation = try await CommandRoutes(server: server).prepare(body, incident: incident, identity: identity)
            return try await server.incidents.command(incident.id, operation, expectedVersion: try formVersion(form), actor: identity.actorName)
        }
    }

    /// 牵头部门 from the command page: units one per line (or separated by 、), a reason when not the plan's.
    @Sendable func leadForm(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        try await commandPageForm(request, context: context) { incident, form, identity in
            _ = try await server.authorisedIncident(incident.id, CommandRoutes.leadAction(incident), identity: identity)
            let units = (form["units"] ?? "").split(whereSeparator: { $0.isNewline || $0 == "、" }).map { String($0).trimmingCharacters(in: .whitespaces) }
            return try await server.incidents.confirmLeadDepartment(incident.id, units: units, reason: form["reason"].flatMap { $0.isEmpty ? nil : $0 },
                                                                    expectedVersion: try formVersion(form), actor: identity.actorName)
        }
    }

    private func commandPageForm(_ request: Request, context: YingjiRequestContext,
                                 _ change: (Incident, FormBody, Identity) async throws -> Incident) async throws -> Response {
        try await pageForm(request, context: context, back: { "/incidents/\($0)/command" }, change: change) { incident, identity, error, _ in
            try await commandView(incident, identity: identity, status: error.status, formError: error.message)
        }
    }

    /// A command form as the API body: lists are one per line, the assignee is kind + id.
    static func commandFields(_ form: FormBody) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        for name in CommandRoutes.allFields where name != "version" && name != "assignee" {
            guard let raw = form[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else { continue }
            switch name {
            case "members", "duties", "deputies":
                fields[name] = .array(raw.split(whereSeparator: \.isNewline).map { .string($0.trimmingCharacters(in: .whitespaces)) })
            case "headcount", "acknowledgeWithinMinutes":
                fields[name] = Int64(raw).map(JSONValue.int) ?? .string(raw)
            case "arrivedAt", "dueAt":
                fields[name] = .string(ReportForm.localTime(raw).map(Timestamp.format) ?? raw)
            default:
                fields[name] = .string(raw)
            }
        }
        if let assignee = form["assignee"], let split = assignee.firstIndex(of: ":") {
            let kind = String(assignee[..<split]), target = String(assignee[assignee.index(after: split)...])
            fields["assignee"] = ["kind": .string(kind), "id": .string(target), "name": .string(target)]
        }
        return fields
    }

    func commandView(_ incident: Incident, identity: Identity, status: HTTPResponse.Status = .ok, formError: String? = nil) async throws -> Response {
        let tree = server.catalog.tree
        let mayCommand = identity.may(.command, on: incident.access, tree: tree) && incident.commandPostIsWorking
        let csrf = WebPages.csrf(identity)
        let organisations = try await server.store.accounts.organisations().filter { tree.isRelated(incident.jurisdiction, $0.jurisdictionID) }
        var values: [String: Any] = [
            "id": incident.id, "incidentID": incident.id, "version": incident.version, "csrf": csrf, "live": "incident:\(incident.id)",
            "pageURL": "/incidents/\(incident.id)/command",
            "status": incident.status.chineseName, "mayCommand": mayCommand,
        ]
        if let formError { values["formError"] = formError }
        // Shown whether or not the plan names one: where it does not, the duty desk names it with a reason.
        let lead = incident.leadDepartment
        let leadOpen = incident.status != .archived && (incident.commandPost == nil || incident.commandPostIsWorking)
        values["lead"] = WebPages.present([
            "suggestions": (lead?.suggestions ?? []).map { WebPages.present(["case": $0.subCase ?? "", "units": $0.units.joined(separator: "、"), "source": $0.source]) },
            "hasSuggestions": !(lead?.suggestions ?? []).isEmpty,
            "chosen": lead?.chosen?.joined(separator: "、") ?? "", "by": lead?.confirmedBy ?? "", "reason": lead?.reason ?? "",
            "mayConfirm": leadOpen && identity.may(CommandRoutes.leadAction(incident), on: incident.access, tree: tree),
            "first": lead?.chosen?.joined(separator: "\n") ?? lead?.suggestions.first?.units.joined(separator: "\n") ?? "",
        ])
        guard let post = incident.commandPost else {
            return pages.page("command", title: "\(pages.text("commandTitle")) \(incident.id)", identity: identity, catalog: server.catalog, status: status, values: values)
        }
        let taskRow = { (task: CommandTask) -> [String: Any] in
            let mine = mayCommand || (incident.commandPostIsWorking && CommandRoutes.isOwnUnits(task, identity: identity, incident: incident, tree: tree))
            var row: [String: Any] = [
                "id": task.id, "title": task.title, "status": task.status.chineseName, "statusClass": task.status.rawValue,
                "assignee": task.assignee.name, "acknowledgeBy": Self.display(task.acknowledgeBy),
                "escalations": task.escalations.map { ["to": $0.to, "at": Self.display($0.at), "level": $0.level] },
                "notes": task.notes.map { ["by": $0.by, "at": Self.display($0.at), "text": $0.text] },
                "moves": mine ? task.allowedMoves.map { ["op": "\($0)Task", "label": pages.text("task.\($0)"), "needsReason": $0 == "block", "key": "\(task.id)-\($0)", "taskID": task.id] } : [],
                "mayNote": mine && task.status != .done,
            ]
            // Every key the task template reads is set on every row, so none is looked up in an
            // enclosing section (a group's clause would otherwise show as the task's).
            row["awaitingAck"] = task.status == .assigned && incident.commandPostIsWorking
            row["acknowledgeISO"] = Timestamp.format(task.acknowledgeBy)
            row["isBlocked"] = task.blockedReason != nil
            row["blocked"] = task.blockedReason ?? "-"
            row["hasDue"] = task.dueAt != nil && task.status != .done && !task.isOverdue
            row["isOverdue"] = task.isOverdue
            row["due"] = task.dueAt.map(Self.display) ?? "-"
            row["dueISO"] = task.dueAt.map(Timestamp.format) ?? "-"
            row["hasSource"] = task.source != nil
            row["taskSource"] = task.source ?? "-"
            return row
        }
        let now = server.clock.now()
        values["hasPost"] = true
        values["ackMinutes"] = post.acknowledgeWithinMinutes
        values["postCommander"] = post.commander
        values["postEstablished"] = Self.display(post.establishedAt)
        values["postSource"] = post.source
        values["deputies"] = post.deputies.joined(separator: "、")
        values["hasDeputies"] = !post.deputies.isEmpty
        values["teams"] = post.attachedTeams.map { WebPages.present(["kind": $0.kind, "name": $0.name, "leader": $0.leader ?? "", "arrived": Self.display($0.arrivedAt)]) }
        values["handovers"] = post.handovers.map { ["from": $0.from, "to": $0.to, "by": $0.handedOverBy, "receivedBy": $0.receivedBy, "at": Self.display($0.at)] }
        values["groups"] = post.groups.map { group -> [String: Any] in
            [
                "id": group.id, "name": group.name, "lead": group.lead ?? pages.text("leadNotGiven"), "members": group.members.joined(separator: "、"),
                "hasMembers": !group.members.isEmpty, "hasSource": group.source != nil, "groupSource": group.source ?? "-",
                "status": group.status.chineseName, "active": group.status == .active, "reason": group.reason ?? "-", "hasReason": group.reason != nil,
                "tasks": post.tasks.filter { $0.groupID == group.id }.map(taskRow),
                "mayGiveDuties": mayCommand && group.status == .active && !group.duties.isEmpty
                    && !group.duties.allSatisfy { duty in post.tasks.contains { $0.groupID == group.id && $0.title == duty } },
            ]
        }
        values["looseTasks"] = post.tasks.filter { $0.groupID == nil }.map(taskRow)
        values["hasLooseTasks"] = post.tasks.contains { $0.groupID == nil }
        values["forces"] = post.forces.filter { $0.leftAt == nil }.map { force in
            WebPages.present([
                "id": force.id, "team": force.team, "leader": force.leader, "contact": force.contact, "headcount": force.headcount,
                "equipment": force.equipment, "arrived": Self.display(force.arrivedAt), "arrivedISO": Timestamp.format(force.arrivedAt),
                "onScene": Self.duration(now.timeIntervalSince(force.arrivedAt), pages: pages),
                "group": force.groupID.flatMap { post.group($0)?.name } ?? pages.text("unassigned"),
                "task": force.taskID.flatMap { post.task($0)?.title } ?? "-", "hasTask": force.taskID != nil,
            ])
        }
        values["onScene"] = post.forces.filter { $0.leftAt == nil }.reduce(0) { $0 + $1.headcount }
        let active = post.groups.filter { $0.status == .active }
        values["groupOptions"] = active.map { ["value": $0.id, "name": $0.name] }
        values["assigneeOptions"] = active.map { ["value": "group:\($0.id)", "name": "\(pages.text("groupPrefix"))\($0.name)"] }
            + organisations.map { ["value": "unit:\($0.id)", "name": "\(pages.text("unitPrefix"))\($0.name)"] }
        values["taskOptions"] = post.tasks.filter { $0.status != .done }.map { ["value": $0.id, "name": $0.title] }
        return pages.page("command", title: "\(pages.text("commandTitle")) \(incident.id)", identity: identity, catalog: server.catalog, status: status, values: values)
    }
}
