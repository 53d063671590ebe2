import Foundation
import YingjiCore

/// The moves an account may make on an incident now, as forms: the state must allow the move,
/// the account's role the action, and for a response level the account must hold the post the
/// plan names for deciding and signing it (the same `PostResolver` the API uses). Nothing is
/// shown that the server would refuse for want of authority.
struct IncidentMoves {
    let incident: Incident
    let plan: Plan
    let identity: Identity
    let tree: JurisdictionTree
    let pages: WebPages
    /// A refused move's form: its fields come back as they were typed.
    var typed: FormBody? = nil

    private var posts: PostResolver { PostResolver(incident: incident, plan: plan, identity: identity, tree: tree) }

    private func may(_ action: String) -> Bool {
        guard incident.allowedMoves.contains(action), let required = IncidentRoutes.requiredAction(action) else { return false }
        return identity.may(required, on: incident.access, tree: tree)
    }

    /// The levels this account may both decide and sign, with the one the plan sets for the grade first.
    private func levelsHeld() -> [LevelAuthority] {
        plan.response.levels.filter { authority in
            (try? posts.decides(nil, level: authority.level.number)) != nil && (try? posts.signs(nil, level: authority.level.number)) != nil
        }
    }

    func forms() -> [[String: Any]] {
        guard incident.status != .archived else { return [] }
        var forms: [[String: Any]] = []
        let suggested = incident.grade?.grade.flatMap(Grade.init).flatMap(plan.response.defaultLevel(for:))
        if may("verify") { forms.append(form("verify", fields: [field("note", .textarea)])) }
        if may("startResponse") {
            for authority in levelsHeld().sorted(by: { ($0.level == suggested ? 0 : 1, $0.level.number) < ($1.level == suggested ? 0 : 1, $1.level.number) }) {
                let level = authority.level
                var fields: [[String: Any]] = []
                if let precondition = authority.precondition {
                    fields.append(field("precondition", .textarea, label: "\(pages.text("field.precondition"))（\(precondition.text)）", required: true))
                }
                let label = "\(pages.text("move.startResponse"))\(level.chineseName)\(pages.text("responseSuffix"))" + (level == suggested ? pages.text("suggested") : "")
                forms.append(form("startResponse", label: label, fields: fields, hidden: ["level": "\(level.number)"],
                                  suffix: "-\(level.number)", note: "\(pages.text("previewDecides"))\(authority.decides.map(plan.roleName).joined(separator: pages.text("or")))（\(authority.source.clause)）",
                                  primary: level == suggested))
            }
        }
        if may("changeLevel") {
            let current = incident.response?.level
            let options = plan.response.levels.filter { $0.level.number != current && (try? posts.signs(nil, level: $0.level.number)) != nil }
            if !options.isEmpty {
                forms.append(form("changeLevel", fields: [
                    field("level", .select, options: options.enumerated().map { index, authority in
                        ["value": "\(authority.level.number)", "name": "\(authority.level.chineseName)\(pages.text("responseSuffix"))", "selected": index == 0]
                    }),
                    field("reason", .textarea, required: true),
                ]))
            }
        }
        if may("handOverCommand") {
            forms.append(form("handOverCommand", fields: [field("to", .text, required: true), field("handedOverBy", .text, required: true), field("receivedBy", .text, required: true)]))
        }
        if may("suspendRescue") { forms.append(form("suspendRescue", fields: [field("reason", .textarea, required: true)])) }
        if may("resumeRescue") { forms.append(form("resumeRescue", fields: [field("note", .textarea)])) }
        if may("endOnSiteWork") { forms.append(form("endOnSiteWork")) }
        if may("endResponse"), (try? posts.ends(nil)) != nil { forms.append(form("endResponse", note: plan.response.ending.text)) }
        if may("closeWithoutResponse") { forms.append(form("closeWithoutResponse", fields: [field("reason", .textarea, required: true)])) }
        if may("beginAftermath") { forms.append(form("beginAftermath")) }
        if may("recordEvaluation") { forms.append(form("recordEvaluation", fields: [field("summary", .textarea, required: true)])) }
        if may("archive") { forms.append(form("archive")) }
        return forms
    }

    /// The plan's termination conditions, each confirmed (who, when) or with its button for
    /// those who may confirm it now.
    func checklist() -> [[String: Any]] {
        let canConfirm = may("confirmCondition")
        return plan.termination.conditions.map { condition in
            var row: [String: Any] = ["id": condition.id, "text": condition.text]
            if let done = incident.confirmedConditions.first(where: { $0.conditionID == condition.id }) {
                row["confirmed"] = ["by": done.by, "at": WebRoutes.display(done.at)]
            } else if canConfirm {
                row["form"] = form("confirmCondition", label: pages.text("confirmCondition"), hidden: ["conditionID": condition.id], suffix: "-\(condition.id)",
                                   confirm: "\(pages.text("confirmPrompt"))\(condition.text)")
            }
            return row
        }
    }

    enum Kind { case text, textarea, select }

    private func field(_ name: String, _ kind: Kind, label: String? = nil, required: Bool = false, options: [[String: Any]] = []) -> [String: Any] {
        ["id": name, "label": label ?? pages.text("field.\(name)"), "required": required, "value": "",
         "isText": kind == .text, "isTextarea": kind == .textarea, "isSelect": kind == .select, "options": options]
    }

    private func form(_ action: String, label: String? = nil, fields: [[String: Any]] = [], hidden: [String: String] = [:],
                      suffix: String = "", note: String? = nil, primary: Bool = false, confirm: String? = nil) -> [String: Any] {
        let title = label ?? pages.text("move.\(action)")
        let key = "\(action)\(suffix)"
        return WebPages.present([
            "action": action, "label": title, "key": key, "primary": primary, "note": note ?? "",
            "confirm": confirm ?? "\(pages.text("confirmPrompt"))\(title)",
            "hidden": hidden.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] },
            "fields": fields.map { field in
                var field = field
                let name = field["id"] as? String ?? ""
                field["inputID"] = "move-\(key)-\(name)"
                if let typed, typed["action"] == action, let value = typed[name] {
                    field["value"] = value
                    if var options = field["options"] as? [[String: Any]] {
                        for index in options.indices { options[index]["selected"] = options[index]["value"] as? String == value }
                        field["options"] = options
                    }
                }
                return field
            },
            "incidentID": incident.id, "version": incident.version, "csrf": WebPages.csrf(identity),
        ])
    }
}
