import Foundation
import YingjiCore

/// How a report form is laid out: the plan's fields in the groups of the paper forms (基本情况,
/// 伤亡与损失, 经过与处置, 报告信息), each input with its label, what was typed and its error.
/// Which group a field falls in is presentation, decided by its id; the fields themselves, their
/// names and whether they are required come from the plan.
enum FormLayout {
    enum Group: String, CaseIterable {
        case basics, figures, course, reporter
    }

    static let groupOf: [String: Group] = [
        "unit": .basics, "occurredAt": .basics, "knownAt": .basics, "place": .basics, "category": .basics,
        "industry": .basics, "enterpriseSize": .basics, "scene": .basics,
        "reportingUnit": .reporter, "signer": .reporter, "contact": .reporter, "reportedAt": .reporter,
    ]

    /// Fields typed as one line; the rest of the course group are paragraphs.
    static let singleLine: Set<String> = ["unit", "place", "industry", "enterpriseSize", "reportingUnit", "signer", "contact", "reportedAt"]

    static func groups(plan: Plan, kind: ReportKind, report: ReportForm?, pages: WebPages) -> [[String: Any]] {
        let planFields = kind == .initial ? plan.reporting.initialReportFields : plan.reporting.followUpFields
        let named = Dictionary(planFields.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // Figures keep the initial report's words in every form (a 续报 list names no figures).
        let figureNames = Dictionary(plan.reporting.initialReportFields.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var rows: [Group: [[String: Any]]] = [:]
        func add(_ id: String, _ group: Group, _ values: [String: Any]) {
            var field = values
            field["id"] = id
            field["inputID"] = "\(kind.rawValue)-\(id)"
            field["value"] = report?.typed[id] ?? ""
            if let error = report?.errors[id] { field["error"] = error }
            rows[group, default: []].append(field)
        }
        if kind == .initial {
            add("occurredAt", .basics, ["label": named["occurredAt"]?.name ?? pages.text("fieldOccurredAt"), "isDatetime": true,
                                        "required": named["occurredAt"]?.required ?? false, "hint": pages.text("occurredAtHint")])
            add("knownAt", .basics, ["label": pages.text("fieldKnownAtForm"), "isDatetime": true, "hint": pages.text("knownAtHint")])
            let chosen = report?.typed["category"] ?? ""
            add("category", .basics, ["label": named["category"]?.name ?? pages.text("fieldCategory"), "isSelect": true,
                                      "required": named["category"]?.required ?? false,
                                      "options": [["value": "", "name": pages.text("chooseCategory"), "selected": chosen.isEmpty]]
                                        + plan.categories.map { ["value": $0.id, "name": $0.name, "selected": $0.id == chosen || $0.name == chosen] }])
        }
        for metric in ReportForm.figureMetrics(plan) {
            let label = figureNames[metric.rawValue]?.name ?? (metric == .directLoss ? metric.chineseName : "\(metric.chineseName)\(pages.text("peopleSuffix"))")
            add(metric.rawValue, .figures, [
                "label": label, "required": kind == .initial && (figureNames[metric.rawValue]?.required ?? false),
                "isMoney": metric == .directLoss, "isNumber": metric != .directLoss,
                "hint": metric == .directLoss ? pages.text("moneyHint") : pages.text("countHint"),
            ])
        }
        for field in ReportForm.textFields(plan, kind: kind) {
            let group = groupOf[field.id] ?? .course
            add(field.id, group, ["label": field.name, "required": kind == .initial && field.required,
                                  "isText": singleLine.contains(field.id), "isTextarea": !singleLine.contains(field.id)])
        }
        return Group.allCases.compactMap { group in
            guard let fields = rows[group], !fields.isEmpty else { return nil }
            return ["title": pages.text("group.\(group.rawValue)"), "fields": fields, "id": "group-\(kind.rawValue)-\(group.rawValue)"]
        }
    }
}
