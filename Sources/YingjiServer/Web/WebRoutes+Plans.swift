import Foundation
import HTTPTypes
import Hummingbird
import YingjiCore

/// 预案: each plan in use, rendered from its file with the clause of every rule: the grading
/// table, who decides and signs each response level, the reporting deadlines, the on-site
/// working groups and the termination conditions.
extension WebRoutes {
    @Sendable func plans(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let rows = plansInUse().map { plan, places in
            WebPages.present(["id": plan.id, "name": plan.name, "issuer": plan.issuer, "year": plan.year, "version": plan.version,
             "status": plan.status ?? "", "places": places.map(\.name).joined(separator: "、")])
        }
        return pages.page("plans", title: pages.text("plansTitle"), identity: identity, catalog: server.catalog, values: ["plans": rows])
    }

    @Sendable func planPage(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.parameters.require("id")
        guard let (plan, places) = plansInUse().first(where: { $0.plan.id == id }) else { return notFound(identity) }
        let role = { (ids: [String]) in ids.map(plan.roleName).joined(separator: pages.text("or")) }
        let category = { (id: String) in plan.categoryName(id) ?? id }
        let values: [String: Any] = WebPages.present([
            "id": plan.id, "name": plan.name, "issuer": plan.issuer, "year": plan.year, "version": plan.version,
            "status": plan.status ?? "", "places": places.map(\.name).joined(separator: "、"),
            "gradingSource": plan.grading.source.clause, "gradingNote": plan.grading.note ?? "",
            "grades": plan.grading.rules.map { rule in
                WebPages.present(["name": rule.grade.chineseName, "class": rule.grade.number, "source": rule.source.clause,
                 "criteria": rule.criteria.map { criterion in
                     WebPages.present(["text": criterion.text ?? criterion.rangeDescription, "range": criterion.rangeDescription, "source": criterion.source.clause,
                      "categories": criterion.categories.map(category).joined(separator: "、")])
                 }])
            },
            "levels": plan.response.levels.map { authority in
                WebPages.present(["name": authority.level.chineseName, "decides": role(authority.decides), "signs": role(authority.signs),
                 "proposedBy": role(authority.proposedBy), "precondition": authority.precondition?.text ?? "",
                 "text": authority.text ?? "", "source": authority.source.clause,
                 "grades": plan.response.defaultLevels.filter { $0.level == authority.level }.map(\.grade.chineseName).joined(separator: "、")])
            },
            "defaultLevelSource": plan.response.defaultLevelSource.clause,
            "scopes": plan.response.scope.map { scope in
                WebPages.present(["grades": scope.grades.map(\.chineseName).joined(separator: "、"), "mode": scope.mode.chineseName,
                 "text": scope.text ?? "", "source": scope.source.clause])
            },
            "ending": ["text": plan.response.ending.text, "source": plan.response.ending.source.clause],
            "rules": plan.reporting.rules.map { rule in
                WebPages.present(["text": rule.text ?? "\(plan.roleName(rule.from)) → \(plan.roleName(rule.to))", "limit": rule.limitDescription,
                 "trigger": rule.trigger.chineseName, "channel": rule.channel.chineseName, "source": rule.source.clause,
                 "grades": rule.when.grades.isEmpty ? pages.text("anyGrade") : rule.when.grades.map(\.chineseName).joined(separator: "、"),
                 "categories": rule.when.categories.map(category).joined(separator: "、")])
            },
            "fields": plan.reporting.initialReportFields.map { ["name": $0.name, "required": $0.required] },
            "fieldsSource": plan.reporting.initialReportSource?.clause ?? "",
            "commandSource": plan.command.onSite.source.clause,
            "commander": plan.command.onSite.commander.map { plan.roleName($0) } ?? "",
            "groups": plan.command.onSite.groups.map { group in
                WebPages.present(["name": group.name, "lead": group.lead ?? pages.text("leadNotGiven"), "members": group.members.joined(separator: "、"),
                 "duties": group.duties, "source": group.source.clause])
            },
            "leads": plan.categories.flatMap { category in
                category.leads.map { lead in
                    WebPages.present(["category": category.name, "case": lead.subCaseName ?? "", "units": lead.units.joined(separator: "、"), "source": lead.source.clause])
                }
            },
            "hasLeads": plan.categories.contains { !$0.leads.isEmpty },
            "conditions": plan.termination.conditions.map(\.text),
            "terminationSource": plan.termination.source.clause,
        ])
        return pages.page("plan", title: plan.name, identity: identity, catalog: server.catalog, values: values)
    }

    /// The plans bound to a jurisdiction, each with the jurisdictions it governs, by plan id.
    private func plansInUse() -> [(plan: Plan, places: [RegisteredJurisdiction])] {
        var found: [String: (Plan, [RegisteredJurisdiction])] = [:]
        for place in server.catalog.jurisdictions {
            guard let plan = server.catalog.plan(forJurisdiction: place.id) else { continue }
            found[plan.id, default: (plan, [])].1.append(place)
        }
        return found.values.sorted { $0.0.id < $1.0.id }.map { (plan: $0.0, places: $0.1) }
    }
}
