import YingjiCore

/// `yingji plan show`: the plan's rules in Chinese, each with its clause.
enum PlanText {
    static func summary(_ plan: Plan) -> String {
        var lines = ["\(plan.name)（\(plan.id)）"]
        lines.append("辖区：\(plan.jurisdiction.name)（\(plan.jurisdiction.level.chineseName)）  发布：\(plan.issuer) \(plan.year)年\(plan.status.map { "  \($0)" } ?? "")")
        if let base = plan.inherits { lines.append("继承：\(base)（共用规则，可被本预案覆盖）") }
        lines += section("事故分级（\(plan.grading.source)）", plan.grading.rules.map { rule in
            "\(rule.grade.chineseName)：" + rule.criteria.map { criterion in
                let condition = criterion.categories.isEmpty ? "" : "〔限\(criterion.categories.map { plan.category(named: $0)?.name ?? $0 }.joined(separator: "、"))〕"
                return criterion.rangeDescription + condition
            }.joined(separator: "；或 ")
        })
        lines += section("分级响应", plan.response.levels.map { authority in
            let view = plan.view(authority)
            var text = "\(authority.level.chineseName)：决定 \(view.decides.joined(separator: "、"))；签发 \(view.signs.joined(separator: "或"))"
            if !view.proposedBy.isEmpty { text += "；建议 \(view.proposedBy.joined(separator: "、"))" }
            if let pre = authority.precondition { text += "；前置：\(pre.text)" }
            return text + "（\(authority.source)）"
        } + plan.response.scope.map { scope in
            "\(scope.grades.map(\.chineseName).joined(separator: "、"))事故：\(scope.mode.chineseName)\(scope.handoverTo.map { "，移交\($0)" } ?? "")（\(scope.source)）"
        } + ["终止：\(plan.response.ending.text)（\(plan.response.ending.source)）"])
        lines += section("信息报送", plan.reporting.rules.map { rule in
            var condition = rule.when.grades.isEmpty ? "" : "〔\(rule.when.grades.map(\.chineseName).joined(separator: "、"))〕"
            if !rule.when.categories.isEmpty { condition += "〔限\(rule.when.categories.joined(separator: "、"))〕" }
            if !rule.when.exceptCategories.isEmpty { condition += "〔除\(rule.when.exceptCategories.joined(separator: "、"))〕" }
            let start = rule.after.map { "\($0) 之后" } ?? rule.trigger.chineseName
            return "\(rule.id)\(condition)：\(rule.from) → \(rule.to)，\(rule.channel.chineseName)，\(start)\(rule.limitDescription)（\(rule.source)）"
        })
        lines += section("预警", plan.warnings.levels.map { "\($0.level)级 \($0.colourName)" } + plan.warnings.approvals.map { approval in
            "\(approval.levels.map(String.init).joined(separator: "、"))级由 \(approval.approvedBy.map(plan.roleName).joined(separator: "、")) 审定\(approval.proposedBy.isEmpty ? "" : "（\(approval.proposedBy.map(plan.roleName).joined(separator: "、")) 提出）")（\(approval.source)）"
        } + plan.warnings.actions.map { "\($0.levels.map(String.init).joined(separator: "、"))级预警行动 \($0.items.count) 项（\($0.source)）" })
        lines += section("现场指挥部工作组（\(plan.command.onSite.groups.count) 个）", plan.command.onSite.groups.map { group in
            "\(group.name)：牵头 \(group.lead ?? "（预案未载明）")\(group.members.isEmpty ? "" : "；成员 \(group.members.joined(separator: "、"))")（\(group.source)）"
        })
        lines += section("现场应急结束条件（\(plan.termination.source)）", plan.termination.conditions.map(\.text))
        lines += section("预案管理", managementLines(plan.management))
        return lines.joined(separator: "\n")
    }

    static func categories(_ plan: Plan) -> String {
        var lines = ["\(plan.name)：事故类别"]
        for category in plan.categories {
            let aliases = category.aliases.isEmpty ? "" : "（又称 \(category.aliases.joined(separator: "、"))）"
            lines.append("\(category.id)  \(category.name)\(aliases)\(category.parent.map { "，属于 \($0)" } ?? "")")
            for lead in category.leads {
                lines.append("    牵头：\(lead.units.joined(separator: "、"))\(lead.subCaseName.map { "（\($0)）" } ?? "")（\(lead.source)）")
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func managementLines(_ management: PlanManagement) -> [String] {
        var lines: [String] = []
        if let filing = management.filing {
            lines.append("备案：\(filing.who) 印发后 \(filing.withinWorkingDays) 个工作日内向 \(filing.to) 备案（\(filing.source)）")
        }
        if let years = management.evaluationEveryYears {
            lines.append("评估：每 \(years) 年一次（\(management.evaluationSource?.clause ?? "")）")
        }
        lines += management.drills.map { "演练：\($0.who) 至少每 \($0.everyMonths) 个月 1 次\($0.what.map { "\($0)" } ?? "")（\($0.source)）" }
        if !management.revisionTriggers.isEmpty {
            lines.append("修订情形 \(management.revisionTriggers.count) 项（\(management.revisionSource?.clause ?? "")）")
        }
        return lines
    }

    private static func section(_ title: String, _ items: [String]) -> [String] {
        items.isEmpty ? [] : ["", "【\(title)】"] + items.map { "  \($0)" }
    }
}
