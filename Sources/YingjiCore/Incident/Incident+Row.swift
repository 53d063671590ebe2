import Foundation

// The stored incident written field by field (`JSONRowWritable`): the same bytes as its Codable
// form through `JSONBytesEncoder`, held equal by `IncidentRowTests`. Each writer lists the fields
// in declaration order, as the synthesized `encode(to:)` does, and leaves nil optionals out; the
// types with an `encode(to:)` of their own (GradeRecord, MatchedCriterion, AccidentFigures)
// write what theirs writes. The command post and the lead department, rarer and deeper, go
// through their `encode(to:)`.

extension Incident: JSONRowWritable {
    func writeFields(to fields: inout JSONFields) throws {
        fields.string("id", id)
        fields.string("planID", planID)
        fields.string("planVersion", planVersion)
        fields.string("jurisdiction", jurisdiction)
        fields.string("organisationID", ifPresent: organisationID)
        fields.strings("involvedOrganisations", ifPresent: involvedOrganisations)
        fields.string("category", ifPresent: category)
        try fields.date("occurredAt", ifPresent: occurredAt)
        try fields.date("knownAt", knownAt)
        try fields.object("figures", figures)
        try fields.object("grade", ifPresent: grade)
        try fields.object("response", ifPresent: response)
        fields.string("commandHolder", ifPresent: commandHolder)
        fields.string("status", status)
        fields.string("suspension", ifPresent: suspension)
        try fields.objects("confirmedConditions", confirmedConditions)
        try fields.objects("reports", reports)
        try fields.objects("obligations", obligations)
        try fields.encoded("leadDepartment", ifPresent: leadDepartment)
        try fields.encoded("commandPost", ifPresent: commandPost)
        fields.integer("version", version)
        fields.integer("sweptSince", ifPresent: sweptSince)
        try fields.date("createdAt", createdAt)
        try fields.date("updatedAt", updatedAt)
    }
}

extension AccidentFigures: JSONRowWritable {
    /// The whole object is the figures (`encode(to:)` writes one key per metric, in the dictionary's order).
    func writeFields(to fields: inout JSONFields) throws {
        for (metric, value) in values { fields.integer(dynamic: metric.rawValue, value) }
    }
}

extension GradeRecord: JSONRowWritable {
    func writeFields(to fields: inout JSONFields) throws {
        if let grade { fields.integer("grade", grade) } else { fields.null("grade") }
        if let name = grade.flatMap(Grade.init)?.chineseName { fields.string("name", name) } else { fields.null("name") }
        try fields.objects("criteria", criteria)
        fields.string("planVersion", planVersion)
        try fields.date("decidedAt", decidedAt)
    }
}

extension MatchedCriterion: JSONRowWritable {
    func writeFields(to fields: inout JSONFields) throws {
        fields.string("metric", metric)
        fields.integer("value", value)
        fields.integer("grade", grade)
        if let text { fields.string("text", text) } else { fields.null("text") }
        fields.string("source", source)
    }
}

extension ResponseRecord: JSONRowWritable {
    func writeFields(to fields: inout JSONFields) throws {
        fields.integer("level", level)
        fields.string("decidedBy", decidedBy)
        fields.string("signedBy", signedBy)
        try fields.date("startedAt", startedAt)
        fields.string("precondition", ifPresent: precondition)
    }
}

extension ConditionConfirmation: JSONRowWritable {
    func writeFields(to fields: inout JSONFields) throws {
        fields.string("conditionID", conditionID)
        fields.string("by", by)
        try fields.date("at", at)
    }
}

extension Report: JSONRowWritable {
    func writeFields(to fields: inout JSONFields) throws {
        fields.string("id", id)
        fields.string("kind", kind)
        try fields.date("receivedAt", receivedAt)
        fields.string("actor", actor)
        fields.strings("fields", self.fields)
        try fields.object("figures", figures)
        fields.string("category", ifPresent: category)
        try fields.date("occurredAt", ifPresent: occurredAt)
    }
}

extension Obligation: JSONRowWritable {
    func writeFields(to fields: inout JSONFields) throws {
        fields.string("id", id)
        fields.string("ruleID", ruleID)
        fields.string("trigger", trigger)
        fields.string("from", from)
        fields.string("to", to)
        fields.string("channel", channel)
        fields.integer("withinMinutes", withinMinutes)
        try fields.date("startsAt", ifPresent: startsAt)
        try fields.date("dueAt", ifPresent: dueAt)
        fields.string("source", source)
        fields.string("text", ifPresent: text)
        fields.string("status", status)
        try fields.object("fulfilment", ifPresent: fulfilment)
        fields.string("retiredReason", ifPresent: retiredReason)
    }
}

extension Fulfilment: JSONRowWritable {
    func writeFields(to fields: inout JSONFields) throws {
        fields.string("by", by)
        try fields.date("at", at)
        fields.string("channel", channel)
        fields.string("reference", reference)
        fields.bool("late", late)
    }
}
