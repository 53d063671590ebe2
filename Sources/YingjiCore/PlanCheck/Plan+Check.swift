extension Plan {
    /// Checks the plan as data: gaps and overlaps in its grade table, references to categories,
    /// roles, units, groups and rules it does not define, rules without a source, duplicate ids,
    /// and reporting rules whose `after` links go round in a circle.
    public func check() -> [PlanFinding] {
        var findings = sourceless.map { PlanFinding(.error, "rule.no-source", $0.description) }
        findings += checkDuplicates()
        findings += checkReferences()
        findings += checkRuleChains()
        findings += checkResponse()
        findings += checkGrading()
        return findings
    }

    private func checkDuplicates() -> [PlanFinding] {
        let groups: [(String, [String])] = [
            ("事故类别", categories.map(\.id)),
            ("报送规则", reporting.rules.map(\.id)),
            ("角色", command.roles.map(\.id)),
            ("单位", command.units.map(\.name)),
            ("工作组", command.onSite.groups.map(\.id)),
        ]
        return groups.flatMap { kind, ids in
            Dictionary(grouping: ids, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted().map {
                PlanFinding(.error, "id.duplicate", "\(kind) id「\($0)」重复定义")
            }
        }
    }

    private func checkReferences() -> [PlanFinding] {
        var findings: [PlanFinding] = []
        let categoryIDs = Set(categories.map(\.id))
        func category(_ id: String, _ place: String) {
            if !categoryIDs.contains(id) { findings.append(PlanFinding(.error, "ref.unknown-category", "\(place) 引用了未定义的事故类别「\(id)」")) }
        }
        for item in categories { item.parent.map { category($0, "事故类别 \(item.id) 的 parent") } }
        for rule in grading.rules {
            for criterion in rule.criteria { criterion.categories.forEach { category($0, "\(rule.grade.chineseName)分级标准（\(criterion.source)）") } }
        }
        for rule in reporting.rules {
            (rule.when.categories + rule.when.exceptCategories).forEach { category($0, "报送规则 \(rule.id)") }
        }

        let roleIDs = Set(command.roles.map(\.id))
        func role(_ id: String, _ place: String) {
            if !roleIDs.contains(id) { findings.append(PlanFinding(.error, "ref.unknown-role", "\(place) 引用了未定义的角色「\(id)」")) }
        }
        for authority in response.levels {
            (authority.decides + authority.signs + authority.proposedBy).forEach { role($0, "\(authority.level.chineseName)响应（\(authority.source)）") }
        }
        for approval in warnings.approvals {
            (approval.proposedBy + approval.approvedBy).forEach { role($0, "预警审定（\(approval.source)）") }
        }
        for policy in [warnings.adjustment, warnings.lifting, warnings.unitWarnings].compactMap({ $0 }) {
            policy.approvedBy.forEach { role($0, "预警规则（\(policy.source)）") }
        }

        if !command.units.isEmpty {
            let unitNames = Set(command.units.map(\.name))
            func unit(_ name: String, _ place: String) {
                if !unitNames.contains(name) { findings.append(PlanFinding(.error, "ref.unknown-unit", "\(place) 引用了未在 units 中定义的单位「\(name)」")) }
            }
            for group in command.onSite.groups {
                (group.lead.map { [$0] } ?? []).forEach { unit($0, "工作组 \(group.name) 的牵头单位") }
                group.members.forEach { unit($0, "工作组 \(group.name) 的成员") }
            }
            for item in categories { item.leads.flatMap(\.units).forEach { unit($0, "事故类别 \(item.name) 的牵头单位") } }
        }

        let groupIDs = Set(command.onSite.groups.map(\.id))
        let ruleIDs = Set(reporting.rules.map(\.id))
        for rule in reporting.rules {
            if let group = rule.group, !groupIDs.contains(group) {
                findings.append(PlanFinding(.error, "ref.unknown-group", "报送规则 \(rule.id) 引用了未定义的工作组「\(group)」"))
            }
            for target in (rule.after.map { [$0] } ?? []) + rule.overrides where !ruleIDs.contains(target) {
                findings.append(PlanFinding(.error, "ref.unknown-rule", "报送规则 \(rule.id) 引用了不存在的规则「\(target)」"))
            }
        }
        return findings
    }

    private func checkRuleChains() -> [PlanFinding] {
        var findings: [PlanFinding] = []
        let byID = Dictionary(reporting.rules.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for rule in reporting.rules {
            var seen: [String] = [rule.id]
            var next = rule.after
            while let id = next, let current = byID[id] {
                if id == rule.id {
                    findings.append(PlanFinding(.error, "rule.cycle", "报送规则的 after 形成循环：\((seen + [id]).joined(separator: " → "))"))
                    break
                }
                if seen.contains(id) { break }
                seen.append(id)
                next = current.after
            }
        }
        return findings
    }

    private func checkResponse() -> [PlanFinding] {
        var findings: [PlanFinding] = []
        for grade in Grade.all {
            guard let level = response.defaultLevel(for: grade) else {
                findings.append(PlanFinding(.warning, "response.no-default", "\(grade.chineseName)事故没有默认响应等级"))
                continue
            }
            if response.authority(for: level) == nil {
                findings.append(PlanFinding(.error, "response.no-authority", "\(level.chineseName)响应没有写明由谁决定、谁签发"))
            }
            if response.scope(for: grade) == nil {
                findings.append(PlanFinding(.warning, "response.no-scope", "没有写明本预案对\(grade.chineseName)事故的处置范围（负责应对、先期处置或指导协助）"))
            }
        }
        for authority in response.levels where authority.decides.isEmpty && authority.signs.isEmpty {
            findings.append(PlanFinding(.error, "response.no-authority", "\(authority.level.chineseName)响应没有写明由谁决定、谁签发（\(authority.source)）"))
        }
        return findings
    }
}
