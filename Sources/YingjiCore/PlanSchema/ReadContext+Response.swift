extension ReadContext {
    func response(_ reader: NodeReader) throws -> ResponsePolicy {
        let sectionSource = try requiredSource(reader)
        let levels = try reader.list("levels") { item in
            guard let level = try responseLevels(item, "level").first else { throw item.error("level", "缺少必填字段") }
            let precondition = try item.optionalMap("precondition").map { pre -> Precondition in
                let result = Precondition(text: try pre.string("text"), consult: try pre.strings("consult"))
                try pre.finish()
                return result
            }
            return LevelAuthority(
                level: level,
                decides: try item.strings("decides"),
                signs: try item.strings("signs"),
                proposedBy: try item.strings("proposedBy"),
                precondition: precondition,
                text: try item.text("text"),
                source: try requiredSource(item, fallback: sectionSource)
            )
        }
        let defaults = try reader.keyed("defaultLevels") { key, node, path -> DefaultLevel in
            guard let grade = Grade(parsing: key) else {
                throw PlanFileError(file: reader.file, line: node.line, field: path, message: "未知的事故等级「\(key)」")
            }
            guard case .scalar(let text, _) = node, let level = ResponseLevel(parsing: text) else {
                throw PlanFileError(file: reader.file, line: node.line, field: path, message: "应为响应等级 1–4")
            }
            return DefaultLevel(grade: grade, level: level)
        }
        let scope = try reader.list("scope") { item in
            ScopeRule(
                grades: try grades(item, "grades"),
                mode: try enumValue(item, "mode"),
                ledBy: try item.optionalString("ledBy"),
                handoverTo: try item.optionalString("handoverTo"),
                handoverWhen: try item.optionalString("handoverWhen"),
                text: try item.text("text"),
                source: try requiredSource(item)
            )
        }
        guard let endingReader = try reader.optionalMap("ending") else { throw reader.error("ending", "缺少响应终止规则（谁启动、谁关闭）") }
        let ending = EndingRule(
            who: try enumValue(endingReader, "who"),
            text: try endingReader.string("text"),
            source: try requiredSource(endingReader)
        )
        try endingReader.finish()
        let policy = ResponsePolicy(
            levels: levels,
            defaultLevels: defaults,
            defaultLevelSource: try reader.optionalString("defaultLevelsSource").map { Source(clause: $0, document: document) } ?? sectionSource,
            scope: scope,
            ending: ending
        )
        try reader.finish()
        return policy
    }

    func termination(_ reader: NodeReader) throws -> Termination {
        let sectionSource = try requiredSource(reader)
        let result = Termination(
            conditions: try reader.list("conditions") { item in
                TerminationCondition(id: try item.string("id"), text: try item.string("text"))
            },
            confirmedBy: try reader.optionalString("confirmedBy"),
            suspension: try policyText(try reader.optionalMap("suspension"), fallback: sectionSource),
            source: sectionSource
        )
        try reader.finish()
        return result
    }

    func aftermath(_ reader: NodeReader) throws -> Aftermath {
        let itemsSource = try source(reader, required: false)
        let summary = try reader.optionalMap("summary")
        let result = Aftermath(
            items: try items(reader, "items"),
            itemsSource: itemsSource,
            summarySections: try summary?.strings("sections") ?? [],
            summarySubmittedTo: try summary?.optionalString("submittedTo"),
            summarySource: try summary.flatMap { try source($0) },
            archive: try policyText(try reader.optionalMap("archive")),
            investigation: []
        )
        try summary?.finish()
        try reader.finish()
        return result
    }

    func management(_ reader: NodeReader) throws -> PlanManagement {
        let filing = try reader.optionalMap("filing").map { item -> FilingRule in
            let rule = FilingRule(
                withinWorkingDays: try item.int("withinWorkingDays"),
                who: try item.string("who"),
                to: try item.string("to"),
                source: try requiredSource(item)
            )
            try item.finish()
            return rule
        }
        let evaluation = try reader.optionalMap("evaluation")
        let revision = try reader.optionalMap("revision")
        let result = PlanManagement(
            filing: filing,
            evaluationEveryYears: try evaluation?.int("everyYears"),
            evaluationSource: try evaluation.flatMap { try source($0) },
            drills: try reader.list("drills") { item in
                DrillRule(
                    who: try item.string("who"),
                    everyMonths: try item.int("everyMonths"),
                    what: try item.optionalString("what"),
                    reportTo: try item.optionalString("reportTo"),
                    source: try requiredSource(item)
                )
            },
            revisionTriggers: try revision?.strings("triggers") ?? [],
            revisionSource: try revision.flatMap { try source($0) }
        )
        try evaluation?.finish()
        try revision?.finish()
        try reader.finish()
        return result
    }
}
