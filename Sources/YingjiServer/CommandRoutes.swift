import Foundation
import HTTPTypes
import Hummingbird
import YingjiCore

/// `/api/v1/incidents/{id}/command` (现场指挥部: groups, tasks, forces) and
/// `/api/v1/incidents/{id}/lead-department` (牵头部门).
struct CommandRoutes {
    let server: Server

    func add(to router: Router<YingjiRequestContext>) {
        let api = router.group("api/v1")
        api.get("incidents/:id/command", use: view)
        api.post("incidents/:id/command", use: change)
        api.post("incidents/:id/lead-department", use: confirmLead)
    }

    /// The fields each operation takes besides `op` and `version`.
    static let operationFields: [String: Set<String>] = [
        "addGroup": ["name", "lead", "members", "duties"],
        "mergeGroup": ["groupID", "into", "reason"],
        "standDownGroup": ["groupID", "reason"],
        "attachTeam": ["kind", "name", "leader", "members"],
        "createTask": ["title", "groupID", "assignee", "dueAt", "acknowledgeWithinMinutes"],
        "createTasksFromDuties": ["groupID"],
        "acknowledgeTask": ["taskID"],
        "startTask": ["taskID"],
        "completeTask": ["taskID", "note"],
        "blockTask": ["taskID", "reason"],
        "noteTask": ["taskID", "text"],
        "checkIn": ["team", "leader", "contact", "headcount", "equipment", "arrivedAt"],
        "assignForce": ["forceID", "groupID", "taskID"],
        "checkOut": ["forceID"],
        "appointDeputies": ["deputies"],
    ]

    static let allFields = Set(operationFields.values.flatMap { $0 }).union(["op", "version"])

    /// Reads and checks one operation: a known op with only its own fields, an account allowed
    /// to make it, a unit that is registered. Shared by the API and the command page.
    func prepare(_ body: JSONBody, incident: Incident, identity: Identity) async throws -> CommandOperation {
        let name = try body.requiredString("op")
        guard let allowed = Self.operationFields[name] else {
            throw APIError(.unprocessableContent, "command.unknown_op", "未知操作「\(name)」，可选：\(Self.operationFields.keys.sorted().joined(separator: "、"))", field: "op")
        }
        if let extra = body.fields.keys.sorted().first(where: { !allowed.contains($0) && $0 != "op" && $0 != "version" }) {
            throw APIError(.unprocessableContent, "body.unknown_field", "操作 \(name) 不接受字段「\(extra)」", field: extra)
        }
        try authorise(name, body: body, incident: incident, identity: identity)
        let operation = try Self.operation(name, body)
        if case .createTask(let title, let groupID, let assignee, let dueAt, let minutes) = operation, assignee.kind == .unit {
            // A unit of this incident's jurisdictions (above or below it), so its liaison can act on the task.
            let tree = server.catalog.tree
            guard let unit = try await server.store.accounts.organisations().first(where: { $0.id == assignee.id }),
                  tree.isRelated(incident.jurisdiction, unit.jurisdictionID) else {
                throw APIError(.unprocessableContent, "task.unknown_unit", "本事故所在辖区没有登记单位「\(assignee.id)」（单位须先用 yingji org add 登记）", field: "assignee.id")
            }
            // Named as registered unless the request names it: people read the name, not the id.
            if assignee.name == assignee.id {
                return .createTask(title: title, groupID: groupID, assignee: .init(kind: .unit, id: unit.id, name: unit.name), dueAt: dueAt,
                                   acknowledgeWithinMinutes: minutes)
            }
        }
        return operation
    }

    /// Task moves an assignee's own unit may make (with `task.act`); the rest need `incident.command`.
    static let taskOperations: Set<String> = ["acknowledgeTask", "startTask", "completeTask", "blockTask", "noteTask"]

    @Sendable func view(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let incident = try await server.visibleIncident(try context.parameters.require("id"), identity: try context.requireIdentity())
        return JSONResponse.make(.ok, Self.render(incident))
    }

    @Sendable func change(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let incident = try await server.visibleIncident(try context.parameters.require("id"), identity: identity)
        let write = try await IdempotentWrite(request, context: context)
        let body = try JSONBody(write.body, allowed: Self.allFields)
        let operation = try await prepare(body, incident: incident, identity: identity)
        let version = try IncidentRoutes.version(body)
        return try await write.run(status: .ok, repository: server.store.incidents, now: server.clock.now(), render: Self.render) { answer in
            let updated = try await server.incidents.command(incident.id, operation, expectedVersion: version, actor: identity.actorName, answer: answer)
            server.events.publish("incident.changed", IncidentView.summary(updated), access: updated.access)
            return updated
        }
    }

    @Sendable func confirmLead(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let seen = try await server.visibleIncident(try context.parameters.require("id"), identity: identity)
        let incident = try await server.authorisedIncident(seen.id, Self.leadAction(seen), identity: identity)
        let write = try await IdempotentWrite(request, context: context)
        let body = try JSONBody(write.body, allowed: ["units", "reason", "version"])
        let units = try body.stringArray("units")
        let reason = try body.string("reason")
        let version = try IncidentRoutes.version(body)
        return try await write.run(status: .ok, repository: server.store.incidents, now: server.clock.now(), render: Self.render) { answer in
            let updated = try await server.incidents.confirmLeadDepartment(incident.id, units: units, reason: reason, expectedVersion: version,
                                                                           actor: identity.actorName, answer: answer)
            server.events.publish("incident.changed", IncidentView.summary(updated), access: updated.access)
            return updated
        }
    }

    /// The duty desk confirms the lead department at report time (`incident.verify`); once the
    /// on-site HQ is set up, a change moves its group leads, which is the commanders' (`incident.command`).
    static func leadAction(_ incident: Incident) -> Action { incident.commandPost == nil ? .verify : .command }

    /// `incident.command` may do everything; `task.act` only the task moves, on tasks assigned
    /// to a unit the account is the liaison of. Anyone else: 403.
    func authorise(_ name: String, body: JSONBody, incident: Incident, identity: Identity) throws {
        let tree = server.catalog.tree
        if identity.may(.command, on: incident.access, tree: tree) { return }
        guard Self.taskOperations.contains(name), identity.may(.actOnTask, on: incident.access, tree: tree) else {
            throw APIError.denied(Self.taskOperations.contains(name) ? .actOnTask : .command)
        }
        let taskID = try body.requiredString("taskID")
        guard let task = incident.commandPost?.task(taskID) else { return }  // the core names the unknown task
        guard Self.isOwnUnits(task, identity: identity, incident: incident, tree: tree) else {
            throw APIError(.forbidden, "task.not_own_unit", "只能办理分派给本单位的任务（此任务分派给「\(task.assignee.name)」）", field: "taskID")
        }
    }

    /// The task is assigned to a unit the account acts for under `task.act` on this incident.
    static func isOwnUnits(_ task: CommandTask, identity: Identity, incident: Incident, tree: JurisdictionTree) -> Bool {
        guard task.assignee.kind == .unit else { return false }
        return identity.grants(covering: incident.access, tree: tree).contains {
            Permissions.allows($0.role, .actOnTask) && $0.organisationID == task.assignee.id
        }
    }

    static func operation(_ name: String, _ body: JSONBody) throws -> CommandOperation {
        switch name {
        case "addGroup":
            return .addGroup(name: try body.requiredString("name"), lead: try body.string("lead"), members: try body.stringArray("members"),
                             duties: try body.stringArray("duties"))
        case "mergeGroup": return .mergeGroup(id: try body.requiredString("groupID"), into: try body.requiredString("into"), reason: try body.requiredString("reason"))
        case "standDownGroup": return .standDownGroup(id: try body.requiredString("groupID"), reason: try body.requiredString("reason"))
        case "attachTeam":
            return .attachTeam(kind: try body.requiredString("kind"), name: try body.requiredString("name"), leader: try body.string("leader"),
                               members: try body.stringArray("members"))
        case "createTask":
            guard let assignee = try body.object("assignee", allowed: ["kind", "id", "name"]) else {
                throw APIError(.unprocessableContent, "body.missing_field", "缺少字段「assignee」", field: "assignee")
            }
            let kindName = try assignee.requiredString("kind")
            guard let kind = CommandTask.Assignee.Kind(rawValue: kindName) else {
                throw APIError(.unprocessableContent, "task.assignee_kind", "assignee.kind 须为 group、unit 或 person", field: "assignee.kind")
            }
            let minutes = try body.int("acknowledgeWithinMinutes").map { Int(clamping: $0) }
            return .createTask(title: try body.requiredString("title"), groupID: try body.string("groupID"),
                               assignee: .init(kind: kind, id: try assignee.requiredString("id"), name: try assignee.string("name") ?? (try assignee.requiredString("id"))),
                               dueAt: try body.time("dueAt"), acknowledgeWithinMinutes: minutes)
        case "createTasksFromDuties": return .createTasksFromDuties(groupID: try body.requiredString("groupID"))
        case "acknowledgeTask": return .moveTask(id: try body.requiredString("taskID"), .acknowledge)
        case "startTask": return .moveTask(id: try body.requiredString("taskID"), .start)
        case "completeTask": return .moveTask(id: try body.requiredString("taskID"), .complete(note: try body.string("note")))
        case "blockTask": return .moveTask(id: try body.requiredString("taskID"), .block(reason: try body.requiredString("reason")))
        case "noteTask": return .noteTask(id: try body.requiredString("taskID"), text: try body.requiredString("text"))
        case "checkIn":
            let headcount = try body.requiredInt("headcount")
            return .checkIn(team: try body.requiredString("team"), leader: try body.requiredString("leader"), contact: try body.requiredString("contact"),
                            headcount: Int(clamping: headcount), equipment: try body.string("equipment") ?? "", arrivedAt: try body.time("arrivedAt"))
        case "assignForce": return .assignForce(id: try body.requiredString("forceID"), groupID: try body.string("groupID"), taskID: try body.string("taskID"))
        case "appointDeputies": return .appointDeputies(try body.stringArray("deputies"))
        default: return .checkOut(id: try body.requiredString("forceID"))
        }
    }

    /// The incident's command view: version, lead department and the on-site HQ with Chinese state names.
    static func render(_ incident: Incident) -> JSONValue {
        var post = IncidentView.encoded(incident.commandPost)
        if case .object(var fields) = post, let command = incident.commandPost {
            fields["tasks"] = .array(command.tasks.map { task in
                guard case .object(var row) = IncidentView.encoded(task) else { return .null }
                row["statusName"] = .string(task.status.chineseName)
                row["acknowledgeBy"] = .time(task.acknowledgeBy)
                row["nextEscalationAt"] = .time(incident.commandPostIsWorking ? task.nextEscalationAt : nil)
                row["overdue"] = .bool(task.isOverdue)
                row["allowedMoves"] = .array(task.allowedMoves.map(JSONValue.string))
                return .object(row)
            })
            post = .object(fields)
        }
        return ["incidentID": .string(incident.id), "version": .int(Int64(incident.version)), "status": .string(incident.status.rawValue),
                "leadDepartment": IncidentView.encoded(incident.leadDepartment), "commandPost": post]
    }
}
