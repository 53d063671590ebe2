import Foundation
import YingjiCore

/// How incidents look in the API: the stored aggregate with times in +08:00, plus what a reader
/// needs to act: Chinese names, the authority for the level, the termination checklist and the
/// moves the incident's state allows now.
enum IncidentView {
    /// The detail answer: the incident as it is stored (its grade with the grade's name, see
    /// `GradeRecord.encode`) with its dates as the API shows them, then, in the same object, the
    /// fields computed for the reader. The stored form is the one its write just encoded for the
    /// row when there is one (`IncidentRows`): the answer rewrites its dates, it does not encode
    /// the incident again.
    static func detail(_ incident: Incident, plan: Plan?) -> Data {
        guard let row = try? IncidentRows.shared.row(for: incident) else { return Data("null".utf8) }
        var answer = row.withTimestamps()
        // `{…incident…}` and the computed fields become one object.
        guard answer.last == UInt8(ascii: "}") else { return Data(answer) }
        answer.removeLast()
        writeComputedFields(incident, plan: plan, into: &answer)
        answer.append(UInt8(ascii: "}"))
        return Data(answer)
    }

    /// The fields computed for the reader, each `,"key":value`, written straight into the answer
    /// (through Codable they took as long as the rest of the answer).
    private static func writeComputedFields(_ incident: Incident, plan: Plan?, into output: inout [UInt8]) {
        func field(_ key: String, _ value: JSONValue) {
            output.append(UInt8(ascii: ","))
            JSONValue.string(key).write(into: &output)
            output.append(UInt8(ascii: ":"))
            value.write(into: &output)
        }
        if incident.grade == nil { field("grade", .null) }
        field("statusName", .string(incident.status.chineseName))
        field("nextDeadline", .time(incident.nextDeadline))
        field("overdueCount", .int(Int64(incident.overdueCount)))
        field("allowedTransitions", .array(incident.allowedMoves.map(JSONValue.string)))
        guard let plan else { return }
        field("planName", .string(plan.name))
        field("categoryName", .optional(incident.category.flatMap(plan.categoryName)))
        // The authority for a level, and the conditions while none is confirmed, are the plan's
        // alone: written once per plan version and level, then copied.
        let level = authorityLevel(incident, plan: plan)
        output.append(contentsOf: #","authority":"#.utf8)
        output.append(contentsOf: PlanParts.shared.bytes(plan: plan, part: .authority(level?.number)) { authority(level: level, plan: plan) })
        output.append(contentsOf: #","terminationConditions":"#.utf8)
        if incident.confirmedConditions.isEmpty {
            output.append(contentsOf: PlanParts.shared.bytes(plan: plan, part: .terminationConditions) { terminationConditions(incident, plan: plan) })
        } else {
            terminationConditions(incident, plan: plan).write(into: &output)
        }
    }

    private static func terminationConditions(_ incident: Incident, plan: Plan) -> JSONValue {
        .array(plan.termination.conditions.map { condition in
            let confirmation = incident.confirmedConditions.first { $0.conditionID == condition.id }
            return [
                "id": .string(condition.id), "text": .string(condition.text),
                "confirmedBy": .optional(confirmation?.by), "confirmedAt": .time(confirmation?.at),
            ]
        })
    }

    /// Parts of the detail answer that depend on the plan alone, as written JSON, by plan version.
    /// A plan file that changes has a new version, so a kept part never outlives its plan's text;
    /// the few versions a server sees are kept (at most `limit` parts, then started afresh).
    private final class PlanParts: @unchecked Sendable {
        enum Part: Hashable {
            case authority(Int?)
            case terminationConditions
        }
        private struct Key: Hashable {
            let planVersion: String
            let part: Part
        }

        static let shared = PlanParts()
        static let limit = 256
        private let lock = NSLock()
        private var parts: [Key: [UInt8]] = [:]

        func bytes(plan: Plan, part: Part, _ make: () -> JSONValue) -> [UInt8] {
            let key = Key(planVersion: plan.version, part: part)
            if let kept = lock.withLock({ parts[key] }) { return kept }
            var written: [UInt8] = []
            make().write(into: &written)
            lock.withLock {
                if parts.count >= Self.limit { parts.removeAll() }
                parts[key] = written
            }
            return written
        }
    }

    /// One line of a list: enough for a board row.
    static func summary(_ incident: Incident) -> JSONValue {
        summary(IncidentSummary(incident))
    }

    static func summary(_ summary: IncidentSummary) -> JSONValue {
        [
            "id": .string(summary.id),
            "jurisdiction": .string(summary.jurisdiction),
            "organisationID": .optional(summary.organisationID),
            "status": .string(summary.status.rawValue),
            "statusName": .string(summary.status.chineseName),
            "category": .optional(summary.category),
            "grade": summary.grade.map { .int(Int64($0)) } ?? .null,
            "gradeName": .optional(summary.grade.flatMap(Grade.init).map(\.chineseName)),
            "level": summary.level.map { .int(Int64($0)) } ?? .null,
            "knownAt": .time(summary.knownAt),
            "nextDeadline": .time(summary.nextDeadline),
            "overdueCount": .int(Int64(summary.overdueCount)),
            "version": .int(Int64(summary.version)),
            "updatedAt": .time(summary.updatedAt),
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

    /// The level in force, or the level the plan sets for the grade.
    static func authorityLevel(_ incident: Incident, plan: Plan) -> ResponseLevel? {
        incident.response.flatMap { ResponseLevel($0.level) }
            ?? incident.grade?.grade.flatMap(Grade.init).flatMap { plan.response.defaultLevel(for: $0) }
    }

    static func authority(level: ResponseLevel?, plan: Plan) -> JSONValue {
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
