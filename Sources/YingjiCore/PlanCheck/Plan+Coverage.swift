extension Plan {
    /// For every metric and every category condition the table uses, the values from 1 upward
    /// that match no grade (gaps) or two different grades (overlaps). Zero is left out: a criterion
    /// on deaths says nothing about an accident without deaths.
    func checkGrading() -> [PlanFinding] {
        var findings: [PlanFinding] = []
        for grade in Grade.all where grading.rule(for: grade) == nil {
            findings.append(PlanFinding(.warning, "grading.no-grade", "分级标准中没有\(grade.chineseName)（\(grade.number)级）"))
        }
        let criteria = grading.rules.flatMap { rule in rule.criteria.map { (grade: rule.grade, criterion: $0) } }
        for metric in Metric.allCases {
            let ofMetric = criteria.filter { $0.criterion.metric == metric }
            guard !ofMetric.isEmpty else { continue }
            findings += countingMismatch(metric, ofMetric)
            let contexts = [[String]()] + Set(ofMetric.map { $0.criterion.categories.sorted() }).filter { !$0.isEmpty }.sorted { $0.joined() < $1.joined() }
            for context in contexts {
                let effective = ofMetric.filter { $0.criterion.categories.isEmpty || $0.criterion.categories.sorted() == context }
                guard !effective.isEmpty else { continue }
                for range in coverage(metric, context, effective) {
                    findings.append(finding(for: range))
                }
            }
        }
        return findings
    }

    /// Adjacent grades that count a metric differently (Lhasa: 死亡（含失踪） for some grades, 死亡 for others).
    private func countingMismatch(_ metric: Metric, _ criteria: [(grade: Grade, criterion: GradeCriterion)]) -> [PlanFinding] {
        let byCounting = Dictionary(grouping: criteria, by: { $0.criterion.includes.map(\.rawValue).sorted().joined(separator: "+") })
        guard byCounting.count > 1 else { return [] }
        let parts = byCounting.sorted { $0.key < $1.key }.map { key, entries in
            let grades = Set(entries.map(\.grade.number)).sorted().compactMap { Grade($0)?.chineseName }.joined(separator: "、")
            let counting = key.isEmpty ? "只计\(metric.chineseName)" : "含\(key.split(separator: "+").compactMap { Metric(rawValue: String($0))?.chineseName }.joined(separator: "、"))"
            return "\(grades)：\(counting)"
        }
        return [PlanFinding(.warning, "grading.counting-mismatch", "\(metric.chineseName)（\(metric.rawValue)）各级计数口径不一致——\(parts.joined(separator: "；"))；口径切换处可能出现不匹配任何等级的组合")]
    }

    private func coverage(_ metric: Metric, _ context: [String], _ criteria: [(grade: Grade, criterion: GradeCriterion)]) -> [ValueRange] {
        let bounds = criteria.flatMap { [$0.criterion.min, $0.criterion.max] }.compactMap { $0 }.filter { $0 > 1 }
        let points = Array(Set([Int64(1)] + bounds)).sorted()
        var ranges: [ValueRange] = []
        for (index, low) in points.enumerated() {
            let high = index + 1 < points.count ? points[index + 1] : nil
            let grades = Set(criteria.filter { $0.criterion.contains(low) }.map(\.grade.number)).sorted()
            guard grades.count != 1 else { continue }
            if let last = ranges.last, last.high == low, last.grades == grades {
                ranges[ranges.count - 1] = ValueRange(metric: metric, low: last.low, high: high, categories: context, grades: grades)
            } else {
                ranges.append(ValueRange(metric: metric, low: low, high: high, categories: context, grades: grades))
            }
        }
        return ranges
    }

    private func finding(for range: ValueRange) -> PlanFinding {
        let condition = range.categories.isEmpty ? "" : "（限\(range.categories.map { category(named: $0)?.name ?? $0 }.joined(separator: "、"))）"
        let subject = "\(range.metric.chineseName) \(range.metric.rawValue)\(condition) \(range.description)"
        if range.grades.isEmpty {
            return PlanFinding(.warning, "grading.gap", "\(subject)：不匹配任何等级", range: range)
        }
        let names = range.grades.compactMap { Grade($0)?.chineseName }.joined(separator: "、")
        return PlanFinding(.error, "grading.overlap", "\(subject)：同时匹配\(names)", range: range)
    }
}
