import Foundation
import YingjiCore

/// The Chinese text a duty officer reads after `yingji classify`.
enum ClassificationText {
    static func render(_ result: Classification, knownAt: Date, occurredAt: Date?) -> String {
        let plan = result.plan
        var lines = ["预案：\(plan.name)（\(plan.id)）"]
        lines.append("事故：\(figuresLine(result))")
        if let grade = result.grade {
            lines.append("等级：\(grade.chineseName)（\(grade.number)级）")
            for match in result.decision.matched {
                let marker = match.grade == grade ? "依据" : "亦符合"
                lines.append("  \(marker)：\(match.criterion.rangeDescription)，本次 \(match.metric.format(match.value))——\(match.grade.chineseName)，\(match.criterion.text ?? "")（\(match.source)）")
            }
        } else {
            lines.append("等级：未达到分级标准（各项数值均不满足预案的任何一级标准，\(plan.grading.source)）")
        }
        lines += responseLines(result)
        lines += leadLines(result)
        lines.append("报送时限（获知时间 \(Timestamp.human(knownAt))\(occurredAt.map { "，发生时间 \(Timestamp.human($0))" } ?? "")）：")
        for obligation in result.obligations {
            lines.append("  " + obligationLine(obligation))
        }
        if result.obligations.contains(where: \.assumedOccurrence) {
            lines.append("  注：标 * 的时限按“事发后”计算，未给出发生时间（--occurred-at），暂以获知时间代替。")
        }
        return lines.joined(separator: "\n")
    }

    private static func figuresLine(_ result: Classification) -> String {
        let shown = Metric.allCases.compactMap { metric -> String? in
            guard let value = result.figures.values[metric] else { return nil }
            return "\(metric.chineseName) \(metric.format(value))"
        }
        var text = shown.isEmpty ? "未填写伤亡和损失数字" : shown.joined(separator: "，")
        if let category = result.category { text += "；类别：\(category.name)" }
        return text
    }

    private static func responseLines(_ result: Classification) -> [String] {
        guard let level = result.responseLevel else { return ["响应：无默认响应等级"] }
        var lines = ["响应：\(level.chineseName)响应"]
        if let view = result.authority {
            var line = "  决定：\(view.decides.joined(separator: "、"))；签发：\(view.signs.joined(separator: "或"))"
            if !view.proposedBy.isEmpty { line += "；提出建议：\(view.proposedBy.joined(separator: "、"))" }
            lines.append(line + "（\(view.authority.source)）")
            if let precondition = view.authority.precondition {
                lines.append("  前置条件：\(precondition.text)")
            }
        }
        if let scope = result.scope {
            var line = "  处置范围：\(scope.mode.chineseName)"
            if let ledBy = scope.ledBy { line += "，由\(ledBy)负责" }
            if let to = scope.handoverTo { line += "；\(scope.handoverWhen ?? "")向\(to)移交指挥权" }
            lines.append(line + "（\(scope.source)）")
        }
        lines.append("  终止：\(result.plan.response.ending.text)（\(result.plan.response.ending.source)）")
        return lines
    }

    private static func leadLines(_ result: Classification) -> [String] {
        guard !result.leadDepartments.isEmpty else { return [] }
        return ["牵头单位："] + result.leadDepartments.map { lead in
            let subCase = lead.subCaseName.map { "（\($0)）" } ?? ""
            return "  \(lead.units.joined(separator: "、"))\(subCase)（\(lead.source)）"
        }
    }

    private static func obligationLine(_ obligation: ScheduledObligation) -> String {
        let rule = obligation.rule
        let when: String
        if let due = obligation.dueAt, rule.trigger == .casualtyChange {
            when = "伤亡人数如有变化须补报，期限至 \(Timestamp.human(due))\(obligation.assumedOccurrence ? "*" : "")"
        } else if let due = obligation.dueAt {
            when = "截止 \(Timestamp.human(due))\(obligation.assumedOccurrence ? "*" : "")"
        } else {
            when = "\(rule.trigger.chineseName)后"
        }
        return "\(when)  \(rule.limitDescription)  \(rule.channel.chineseName)  \(rule.from) → \(rule.to)（\(rule.source)）"
    }
}
