import Foundation
import HTTPTypes
import Hummingbird
import YingjiCore

/// 事故总览 and 逾期: the incidents and overdue reports this account may see.
extension WebRoutes {
    /// The board's filters, read leniently from the query string: a value it does not know is
    /// shown as "all" rather than refused, since people type and bookmark these.
    struct BoardFilter {
        var status = "open"
        var grade: Int?
        var jurisdiction: String?
        var overdueOnly = false

        init(_ parameters: Parameters) {
            if let raw = parameters["status"].map(String.init), raw == "all" || IncidentStatus(rawValue: raw) != nil { status = raw }
            grade = parameters["grade"].flatMap { Int($0) }.flatMap { (1...4).contains($0) ? $0 : nil }
            jurisdiction = parameters["jurisdiction"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            overdueOnly = parameters["overdue"] == "1" || parameters["overdue"] == "true"
        }
    }

    /// 事故总览: open incidents first (by default only those), with grade colour, status, level,
    /// jurisdiction, time since report and the next deadline as a countdown; filters; charts.
    @Sendable func board(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let tree = server.catalog.tree
        let filter = BoardFilter(request.uri.queryParameters)
        let visibility = identity.visibility(tree: tree)
        var query = IncidentQuery(openOnly: filter.status == "open", overdueOnly: filter.overdueOnly, visibility: visibility, limit: 200)
        query.status = IncidentStatus(rawValue: filter.status)
        query.grade = filter.grade
        if let place = filter.jurisdiction { query.jurisdictions = tree.subtree(place) }
        let incidents = try await server.store.incidents.summaries(query)
        let rows: [[String: Any]] = incidents.map { incident in
            var row: [String: Any] = [
                "id": incident.id,
                "jurisdiction": server.catalog.jurisdiction(incident.jurisdiction)?.name ?? incident.jurisdiction,
                "grade": incident.grade.flatMap(Grade.init).map(\.chineseName) ?? pages.text("noGrade"),
                "gradeClass": incident.grade.map(String.init) ?? "none",
                "level": incident.level.map { ResponseLevel($0)?.chineseName ?? "\($0)" } ?? pages.text("noLevel"),
                "status": incident.status.chineseName,
                "knownAt": Self.display(incident.knownAt), "knownAtISO": Timestamp.format(incident.knownAt),
                "deadline": incident.nextDeadline.map(Self.display) ?? pages.text("noDeadline"),
            ]
            if let name = categoryName(incident.category, jurisdiction: incident.jurisdiction) { row["category"] = name }
            if let deadline = incident.nextDeadline { row["deadlineISO"] = Timestamp.format(deadline) }
            if incident.overdueCount > 0 { row["overdue"] = "\(incident.overdueCount) \(pages.text("overdueCount"))" }
            return row
        }
        let places = server.catalog.jurisdictions.filter { place in identity.grants.contains { tree.isWithin(place.id, $0.jurisdictionID) } }
        let statuses = [("open", pages.text("filterOpen")), ("all", pages.text("filterAll"))] + IncidentStatus.allCases.map { ($0.rawValue, $0.chineseName) }
        let values: [String: Any] = [
            "rows": rows, "hasRows": !rows.isEmpty, "live": "board",
            "statuses": statuses.map { ["value": $0.0, "name": $0.1, "selected": $0.0 == filter.status] },
            "grades": (1...4).map { ["value": $0, "name": Grade($0)?.chineseName ?? "", "selected": $0 == filter.grade] },
            "places": places.map { ["value": $0.id, "name": $0.name, "selected": $0.id == filter.jurisdiction] },
            "overdueOnly": filter.overdueOnly,
            "charts": try await charts(visibility),
        ]
        return pages.page("board", title: pages.text("boardTitle"), identity: identity, catalog: server.catalog, values: values)
    }

    private func charts(_ visibility: [VisibilityClause]) async throws -> [String: Any] {
        // Every incident known within the charts' days, counted from columns: the incidents'
        // documents are not read, and a busy fortnight is counted whole.
        let now = server.clock.now()
        let counts = try await server.store.incidents.chartCounts(IncidentQuery(visibility: visibility), knownSince: BoardChart.firstDay(today: now),
                                                                  utcOffset: BoardChart.utcOffset)
        let chart = BoardChart(points: counts.map { count in
            BoardChart.Point(day: count.day, grade: count.grade,
                             category: categoryName(count.category, jurisdiction: count.jurisdiction) ?? pages.text("noCategory"), count: count.count)
        }, today: now)
        return [
            "byGrade": chart.byGrade(title: pages.text("chartByGrade"), gradeNames: (1...4).compactMap { Grade($0)?.chineseName }, noGrade: pages.text("noGrade")),
            "byCategory": chart.byCategory(title: pages.text("chartByCategory")),
            "legend": (1...4).map { ["name": Grade($0)?.chineseName ?? "", "key": "\($0)"] } + [["name": pages.text("noGrade"), "key": "none"]],
        ]
    }

    func categoryName(_ incident: Incident) -> String? {
        categoryName(incident.category, jurisdiction: incident.jurisdiction)
    }

    /// The category's name in the jurisdiction's plan (the stored id when the plan lacks it).
    func categoryName(_ category: String?, jurisdiction: String) -> String? {
        guard let category else { return nil }
        return server.catalog.plan(forJurisdiction: jurisdiction)?.categoryName(category) ?? category
    }

    /// 逾期: every overdue reporting obligation of the incidents this account may see, the
    /// longest overdue first, each linked to its incident.
    @Sendable func overdue(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let now = server.clock.now()
        let query = IncidentQuery(overdueOnly: true, visibility: identity.visibility(tree: server.catalog.tree), limit: Int.max)
        let rows = try await server.store.incidents.incidents(query).flatMap { incident in
            incident.obligations.filter { $0.status == .overdue }.map { (incident, $0) }
        }.sorted { ($0.1.dueAt ?? .distantPast, $0.1.id) < ($1.1.dueAt ?? .distantPast, $1.1.id) }.map { incident, obligation -> [String: Any] in
            let due = obligation.dueAt ?? now
            return [
                "incidentID": incident.id, "obligationID": obligation.id,
                "jurisdiction": server.catalog.jurisdiction(incident.jurisdiction)?.name ?? incident.jurisdiction,
                "text": obligationText(obligation, incident: incident),
                "source": obligation.source, "due": Self.display(due), "dueISO": Timestamp.format(due),
                "late": Self.duration(now.timeIntervalSince(due), pages: pages),
            ]
        }
        // On-site tasks not done by their due time, in the open incidents whose HQ is working.
        let open = IncidentQuery(openOnly: true, visibility: identity.visibility(tree: server.catalog.tree), limit: Int.max)
        let tasks = try await server.store.incidents.incidents(open).filter(\.commandPostIsWorking).flatMap { incident in
            (incident.commandPost?.tasks ?? []).filter(\.isOverdue).map { (incident, $0) }
        }.sorted { ($0.1.dueAt ?? .distantPast, $0.1.id) < ($1.1.dueAt ?? .distantPast, $1.1.id) }.map { incident, task -> [String: Any] in
            let due = task.dueAt ?? now
            return [
                "incidentID": incident.id, "taskID": task.id, "title": task.title, "assignee": task.assignee.name, "status": task.status.chineseName,
                "jurisdiction": server.catalog.jurisdiction(incident.jurisdiction)?.name ?? incident.jurisdiction,
                "due": Self.display(due), "dueISO": Timestamp.format(due), "late": Self.duration(now.timeIntervalSince(due), pages: pages),
            ]
        }
        return pages.page("overdue", title: pages.text("overdueTitle"), identity: identity, catalog: server.catalog,
                          values: ["rows": rows, "hasRows": !rows.isEmpty, "tasks": tasks, "hasTasks": !tasks.isEmpty, "live": "board", "pageURL": "/overdue"])
    }

    /// The plan's words for an obligation, or "from → to (channel)" when the rule has none.
    func obligationText(_ obligation: Obligation, incident: Incident) -> String {
        let plan = server.catalog.plan(forJurisdiction: incident.jurisdiction)
        let name = { (role: String) in plan?.roleName(role) ?? role }
        return obligation.text ?? "\(name(obligation.from)) → \(name(obligation.to))（\(obligation.channel.chineseName)）"
    }
}
