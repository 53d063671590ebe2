import Foundation
import YingjiCore

/// A report typed into a page form (初报 on the duty desk, 续报 / 补报 on the incident page):
/// the plan's fields, the figures and the times, read into a draft. Every problem is kept with
/// the field it belongs to, so the page can show each message beside its input.
struct ReportForm {
    var draft: ReportDraft
    var knownAt: Date?
    /// Field id → the first problem with it, in Chinese.
    var errors: [String: String] = [:]
    /// What was typed, to show again when the form comes back with errors.
    var typed: [String: String] = [:]

    /// Reads `form` against `plan`. Figures are the metrics the plan asks for or grades by;
    /// `directLoss` accepts `1200万` and `1.2亿`; times are China time from a datetime-local input.
    init(_ form: FormBody, kind: ReportKind, plan: Plan, now: Date, text: (String) -> String) {
        draft = ReportDraft(kind: kind)
        for field in Self.textFields(plan, kind: kind) {
            let value = (form[field.id] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            typed[field.id] = value
            if value.count > 8000 {
                errors[field.id] = text("error.tooLong")
            } else if !value.isEmpty {
                draft.fields[field.id] = value
            }
        }
        for metric in Self.figureMetrics(plan) {
            let value = (form[metric.rawValue] ?? "").trimmingCharacters(in: .whitespaces)
            typed[metric.rawValue] = value
            guard !value.isEmpty else { continue }
            if metric == .directLoss {
                if let yuan = try? Money.parse(value) { draft.figures[metric] = yuan } else { errors[metric.rawValue] = text("error.money") }
            } else if let count = Int64(value), count >= 0, count <= 10_000_000 {
                draft.figures[metric] = count
            } else {
                errors[metric.rawValue] = text("error.count")
            }
        }
        let category = (form["category"] ?? "").trimmingCharacters(in: .whitespaces)
        typed["category"] = category
        if !category.isEmpty { draft.category = category }
        draft.occurredAt = readTime("occurredAt", form, text)
        knownAt = readTime("knownAt", form, text)
        if let knownAt, knownAt > now.addingTimeInterval(Plan.allowedClockSkew), errors["knownAt"] == nil {
            errors["knownAt"] = text("error.knownAtFuture")
        }
        for problem in plan.problems(in: draft, now: now) {
            let field = problem.field ?? "form"
            // A figure refused above shows its own message; "missing" would say it twice.
            if errors[field] == nil { errors[field] = problem.message }
        }
    }

    var isValid: Bool { errors.isEmpty }

    private mutating func readTime(_ name: String, _ form: FormBody, _ text: (String) -> String) -> Date? {
        let value = (form[name] ?? "").trimmingCharacters(in: .whitespaces)
        typed[name] = value
        guard !value.isEmpty else { return nil }
        guard let date = Self.localTime(value) else {
            errors[name] = text("error.time")
            return nil
        }
        return date
    }

    /// The plan's text fields for this kind of report (figures, category and times are read apart).
    static func textFields(_ plan: Plan, kind: ReportKind) -> [ContentField] {
        let fields = kind == .initial ? plan.reporting.initialReportFields : plan.reporting.followUpFields
        return fields.filter { Metric(rawValue: $0.id) == nil && $0.id != "category" && $0.id != "occurredAt" }
    }

    /// The figures a form asks for: those the plan's report content names and those its grading
    /// table counts, in the order of `Metric`.
    static func figureMetrics(_ plan: Plan) -> [Metric] {
        var wanted = Set(plan.reporting.initialReportFields.compactMap { Metric(rawValue: $0.id) })
        for rule in plan.grading.rules {
            for criterion in rule.criteria { wanted.insert(criterion.metric); wanted.formUnion(criterion.includes) }
        }
        return Metric.allCases.filter(wanted.contains)
    }

    /// `2026-03-01T02:10` (what a datetime-local input sends), with or without seconds, as China time.
    static func localTime(_ text: String) -> Date? {
        let full = text.count == 16 ? text + ":00" : text
        guard full.count == 19 else { return Timestamp.parse(text) }
        return Timestamp.parse(full + "+08:00")
    }

    /// The value a datetime-local input shows for a time, in China time.
    static func localValue(_ date: Date) -> String {
        String(Timestamp.format(date).prefix(16))
    }
}
