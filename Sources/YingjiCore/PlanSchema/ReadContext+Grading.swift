extension ReadContext {
    func category(_ reader: NodeReader) throws -> AccidentCategory {
        let source = try self.source(reader, required: false)
        var leads: [LeadDepartment] = []
        if reader.has("lead") {
            leads.append(LeadDepartment(subCase: nil, subCaseName: nil, units: try reader.strings("lead"), source: try requiredSource(reader)))
        }
        leads += try reader.list("cases") { item in
            LeadDepartment(
                subCase: try item.string("id"),
                subCaseName: try item.string("name"),
                units: try item.strings("lead"),
                source: try requiredSource(item, fallback: source)
            )
        }
        return AccidentCategory(
            id: try reader.string("id"),
            name: try reader.string("name"),
            aliases: try reader.strings("aliases"),
            parent: try reader.optionalString("parent"),
            leads: leads,
            source: source
        )
    }

    func grading(_ reader: NodeReader) throws -> GradingTable {
        let tableSource = try requiredSource(reader)
        let table = GradingTable(
            rules: try reader.list("grades") { item in
                let ruleSource = try requiredSource(item, fallback: tableSource)
                return GradeRule(
                    grade: try grade(item, "grade"),
                    criteria: try item.list("criteria") { try criterion($0, fallback: ruleSource) },
                    source: ruleSource
                )
            },
            source: tableSource,
            note: try reader.optionalString("note")
        )
        try reader.finish()
        return table
    }

    func criterion(_ reader: NodeReader, fallback: Source) throws -> GradeCriterion {
        let metric: Metric = try enumValue(reader, "metric")
        let includes = try reader.strings("includes").map { text -> Metric in
            guard let included = Metric(rawValue: text) else {
                throw reader.error("includes", "未知指标「\(text)」，可选：\(Metric.allCases.map(\.rawValue).joined(separator: "、"))")
            }
            return included
        }
        let min = try bound(reader, "min", metric: metric)
        let max = try bound(reader, "max", metric: metric)
        if min == nil && max == nil { throw reader.error(nil, "标准至少要有 min（以上）或 max（以下）之一") }
        if let min, let max, min >= max {
            throw reader.error("max", "上限（以下，不含）必须大于下限（以上，含）：\(min) ≥ \(max)")
        }
        return GradeCriterion(
            metric: metric,
            includes: includes,
            min: min,
            max: max,
            categories: try reader.strings("categories"),
            text: try reader.optionalString("text"),
            source: try requiredSource(reader, fallback: fallback)
        )
    }

    /// Bounds are counts of people (500, 1万) or, for `directLoss`, money (1000万, 1亿).
    private func bound(_ reader: NodeReader, _ key: String, metric: Metric) throws -> Int64? {
        guard let text = try reader.optionalString(key) else { return nil }
        if metric == .directLoss {
            do { return try Money.parse(text) } catch {
                throw reader.error(key, "金额无法识别「\(text)」，可写 12000000、1200万、1.2亿")
            }
        }
        // People counts may be written as the plans write them: 500, 1万, 15万.
        let count = text.hasSuffix("人") ? String(text.dropLast()) : text
        guard !count.hasSuffix("元"), let value = try? Money.parse(count) else {
            throw reader.error(key, "应为非负整数（人数，可写 1万），实际是「\(text)」")
        }
        return value
    }

    func investigation(_ reader: NodeReader) throws -> InvestigationRule {
        InvestigationRule(grades: try grades(reader, "grades"), by: try reader.string("by"), source: try requiredSource(reader))
    }
}
