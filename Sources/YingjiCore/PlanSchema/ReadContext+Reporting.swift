extension ReadContext {
    /// The `reporting` section: rules, the escalation generator and the reporting chain.
    func reporting(_ reader: NodeReader?) throws -> (rules: [ObligationRule], escalation: EscalationRule?, chain: [ChainLink]) {
        guard let reader else { return ([], nil, []) }
        let result = (
            rules: try reader.list("rules", obligation),
            escalation: try reader.optionalMap("escalation").map(escalation),
            chain: try reader.list("chain") { link in ChainLink(level: try level(link, "level"), body: try link.string("body")) }
        )
        try reader.finish()
        return result
    }

    func obligation(_ reader: NodeReader) throws -> ObligationRule {
        let condition = try reader.optionalMap("when").map { when -> RuleCondition in
            let result = RuleCondition(
                grades: try conditionGrades(when),
                categories: try when.strings("categories"),
                exceptCategories: try when.strings("exceptCategories")
            )
            try when.finish()
            return result
        }
        return ObligationRule(
            id: try reader.string("id"),
            trigger: try enumValue(reader, "trigger", default: .accidentKnown),
            when: condition ?? .always,
            after: try reader.optionalString("after"),
            clockFrom: try enumValue(reader, "clockFrom", default: .known),
            from: try reader.string("from"),
            to: try reader.string("to"),
            channel: try enumValue(reader, "channel"),
            withinMinutes: try duration(reader),
            overrides: try reader.strings("overrides"),
            group: try reader.optionalString("group"),
            text: try reader.text("text"),
            source: try requiredSource(reader)
        )
    }

    /// `grades: [3, 4]`, or `gradeAtLeast: 3` for "较大 and above" (grades 1–3).
    private func conditionGrades(_ reader: NodeReader) throws -> [Grade] {
        var result = try grades(reader, "grades")
        if reader.has("gradeAtLeast") {
            let floor = try grade(reader, "gradeAtLeast")
            guard result.isEmpty else { throw reader.error("gradeAtLeast", "grades 与 gradeAtLeast 只能写一个") }
            result = Grade.all.filter { $0.isAtLeast(floor) }
        }
        return result
    }

    func escalation(_ reader: NodeReader) throws -> EscalationRule {
        let reach = try reader.keyed("reach") { key, node, path -> (grade: Grade, level: JurisdictionLevel) in
            guard let grade = Grade(parsing: key) else {
                throw PlanFileError(file: reader.file, line: node.line, field: path, message: "未知的事故等级「\(key)」")
            }
            guard case .scalar(let text, _) = node, let level = JurisdictionLevel(rawValue: text) else {
                throw PlanFileError(file: reader.file, line: node.line, field: path, message: "应为行政层级：\(JurisdictionLevel.allCases.map(\.rawValue).joined(separator: "、"))")
            }
            return (grade, level)
        }
        let rule = EscalationRule(
            id: try reader.string("id"),
            after: try reader.string("after"),
            withinMinutesPerLevel: try duration(reader),
            channel: try enumValue(reader, "channel"),
            reach: reach,
            text: try reader.text("text"),
            source: try requiredSource(reader)
        )
        try reader.finish()
        return rule
    }
}
