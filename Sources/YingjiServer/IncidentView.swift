import Foundation
import YingjiCore

/// How incidents look in the API: the stored aggregate with times in +08:00, plus what a reader
/// needs to act: Chinese names, the authority for the level, the termination checklist and the
/// moves the incident's state allows now.
enum IncidentView {
    static func detail(_ incident: Incident, plan: Plan?) -> JSONValue {
        guard case .object(var fields) = encoded(incident) else { return .null }
        fields["statusName"] = .string(incident.status.chineseName)
        fields["nextDeadline"] = .time(incident.nextDeadline)
        fields["overdueCount"] = .int(Int64(incident.overdueCount))
        fields["allowedTransitions"] = .array(incident.allowedMoves.map(JSONValue.string))
        fields["grade"] = grade(incident.grade)
        if let plan {
            fields["planName"] = .string(plan.name)
            fields["categoryName"] = .optional(incident.category.flatMap(plan.categoryName))
            fields["authority"] = authority(incident, plan: plan)
            fields["terminationConditions"] = .array(plan.termination.conditions.map { condition in
                let confirmation = incident.confirmedConditions.first { $0.conditionID == condition.id }
                return [
                    "id": .string(condition.id), "text": .string(condition.text),
                    "confirmedBy": .optional(confirmation?.by), "confirmedAt": .time(confirmation?.at),
                ]
            })
        }
        return .object(fields)
    }

    /// One line of a list: enough for a board row.
    static func summary(_ incident: Incident) -> JSONValue {
        [
            "id": .string(incident.id),
            "jurisdiction": .string(incident.jurisdiction),
            "organisationID": .optional(incident.organisationID),
            "status": .string(incident.status.rawValue),
            "statusName": .string(incident.status.chineseName),
            "category": .optional(incident.category),
            "grade": incident.grade?.grade.map { .int(Int64($0)) } ?? .null,
            "gradeName": .optional(incident.grade?.grade.flatMap(Grade.init).map(\.chineseName)),
            "level": incident.response.map { .int(Int64($0.level)) } ?? .null,
            "knownAt": .time(incident.knownAt),
            "nextDeadline": .time(incident.nextDeadline),
            "overdueCount": .int(Int64(incident.overdueCount)),
            "version": .int(Int64(incident.version)),
            "updatedAt": .time(incident.updatedAt),
        ]
    }

    static func obligation(_ obligation: Obligation, incident: Incident) -> JSONValue {
        guard case .object(var fields) = encoded(obligation) else { return .null }
        fields["incidentID"] = .string(incident.id)
        fields["jurisdiction"] = .string(incident.jurisdiction)
        fields["statusName"] = .string(obligation.status.chineseName)
        fields["channelName"] = .string(obligation.channel.chineseName)
        return .object(fields)
    }

    static func entry(_ entry: TimelineEntry) -> JSONValue {
        [
            "sequence": .int(Int64(entry.sequence)), "at": .time(entry.at), "actor": .string(entry.actor),
            "kind": .string(entry.kind), "payload": entry.payload,
            "corrects": entry.corrects.map { .int(Int64($0)) } ?? .null,
            "previousHash": .string(entry.previousHash), "hash": .string(entry.hash),
        ]
    }

    static func jurisdiction(_ jurisdiction: RegisteredJurisdiction, plan: Plan?) -> JSONValue {
        [
            "id": .string(jurisdiction.id), "name": .string(jurisdiction.name), "parentID": .optional(jurisdiction.parentID),
            "planID": .optional(jurisdiction.planID), "planName": .optional(plan?.name), "planVersion": .optional(plan?.version),
        ]
    }

    private static func grade(_ record: GradeRecord?) -> JSONValue {
        guard let record else { return .null }
        return [
            "grade": record.grade.map { .int(Int64($0)) } ?? .null,
            "name": .optional(record.grade.flatMap(Grade.init).map(\.chineseName)),
            "criteria": .array(record.criteria.map { criterion in
                [
                    "metric": .string(criterion.metric), "value": .int(criterion.value), "grade": .int(Int64(criterion.grade)),
                    "text": .optional(criterion.text), "source": .string(criterion.source),
                ]
            }),
            "planVersion": .string(record.planVersion),
            "decidedAt": .time(record.decidedAt),
        ]
    }

    /// Who decides and signs the level in force, or the level the plan sets for the grade.
    private static func authority(_ incident: Incident, plan: Plan) -> JSONValue {
        let level = incident.response.flatMap { ResponseLevel($0.level) }
            ?? incident.grade?.grade.flatMap(Grade.init).flatMap { plan.response.defaultLevel(for: $0) }
        guard let level, let authority = plan.response.authority(for: level) else { return .null }
        let roles: ([String]) -> JSONValue = { ids in .array(ids.map { ["id": .string($0), "name": .string(plan.roleName($0))] }) }
        return [
            "level": .int(Int64(level.number)),
            "levelName": .string(level.chineseName),
            "decides": roles(authority.decides),
            "signs": roles(authority.signs),
            "proposedBy": roles(authority.proposedBy),
            "precondition": .optional(authority.precondition?.text),
            "source": .string(authority.source.clause),
        ]
    }

    /// Any stored value as JSON, times in +08:00.
    static func encoded(_ value: some Encodable) -> JSONValue {
        (try? JSONValue(encoding: value)) ?? .null
    }
}

extension JSONValue {
    /// The bytes sent to clients: sorted keys so equal answers are equal bytes.
    var responseData: Data { canonicalData }
}
