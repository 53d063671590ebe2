import Foundation

/// The jurisdictions as a tree: a grant in one covers it and everything below it.
public struct JurisdictionTree: Sendable {
    private let parents: [String: String]
    private let plans: [String: String]
    public let ids: Set<String>

    public init(_ jurisdictions: [RegisteredJurisdiction]) {
        var parents: [String: String] = [:]
        for jurisdiction in jurisdictions { if let parent = jurisdiction.parentID { parents[jurisdiction.id] = parent } }
        self.parents = parents
        plans = Dictionary(jurisdictions.compactMap { jurisdiction in jurisdiction.planID.map { (jurisdiction.id, $0) } }, uniquingKeysWith: { first, _ in first })
        ids = Set(jurisdictions.map(\.id))
    }

    /// The plan the jurisdiction is bound to.
    public func planID(_ id: String) -> String? { plans[id] }

    /// Whether the jurisdiction is bound to the plan and its parent is not: the level whose
    /// leaders hold the plan's posts (the areas below it bound to the same plan apply it).
    public func isPlanTop(_ id: String, plan: String) -> Bool {
        planID(id) == plan && parents[id].map { planID($0) != plan } ?? true
    }

    /// The jurisdiction, its parent, and so on up to the root (a cycle stops the walk).
    public func lineage(_ id: String) -> [String] {
        var result = [id]
        var current = id
        while let parent = parents[current], !result.contains(parent) {
            result.append(parent)
            current = parent
        }
        return result
    }

    /// A grant in `*` covers every jurisdiction (system administrators).
    public static let everywhere = "*"

    /// Whether `id` is `root` or lies below it.
    public func isWithin(_ id: String, _ root: String) -> Bool { root == Self.everywhere || lineage(id).contains(root) }

    /// `root` and every jurisdiction below it.
    public func subtree(_ root: String) -> [String] { ids.filter { isWithin($0, root) }.sorted() }

    public func contains(_ id: String) -> Bool { ids.contains(id) }

    /// One jurisdiction lies within the other (either way): a unit there may take part in an incident here.
    public func isRelated(_ id: String, _ other: String) -> Bool { isWithin(id, other) || isWithin(other, id) }
}

/// What decides who may see an incident: where it happened and which organisations have a part in it.
public struct IncidentAccess: Sendable, Equatable {
    public let jurisdiction: String
    /// The production unit the incident was reported for (enterprise reporters see only these).
    public let organisationID: String?
    /// Organisations with a part in the incident (member-unit liaisons see only these).
    public let involvedOrganisations: [String]

    public init(jurisdiction: String, organisationID: String? = nil, involvedOrganisations: [String] = []) {
        self.jurisdiction = jurisdiction
        self.organisationID = organisationID
        self.involvedOrganisations = involvedOrganisations
    }
}

extension Incident {
    public var access: IncidentAccess {
        IncidentAccess(jurisdiction: jurisdiction, organisationID: organisationID, involvedOrganisations: involvedOrganisations ?? [])
    }
}

/// One condition under which an incident is visible, for list queries: in these jurisdictions,
/// and (when set) reported for this organisation or involving it.
public struct VisibilityClause: Sendable, Equatable {
    public let jurisdictions: [String]
    public let organisationID: String?
    public let involvedOrganisationID: String?

    public init(jurisdictions: [String], organisationID: String?, involvedOrganisationID: String?) {
        self.jurisdictions = jurisdictions
        self.organisationID = organisationID
        self.involvedOrganisationID = involvedOrganisationID
    }

    public func matches(_ incident: IncidentAccess) -> Bool {
        jurisdictions.contains(incident.jurisdiction)
            && (organisationID.map { $0 == incident.organisationID } ?? true)
            && (involvedOrganisationID.map(incident.involvedOrganisations.contains) ?? true)
    }
}

/// The authenticated account behind a request, with the grants it acts under (a token acts
/// under its one grant only).
public struct Identity: Sendable, Equatable {
    public enum Method: Sendable, Equatable {
        /// A browser session; unsafe requests must carry this CSRF token.
        case session(csrfToken: String)
        case token(id: String)
    }

    public let user: UserAccount
    public let grants: [RoleGrant]
    public let method: Method

    public init(user: UserAccount, grants: [RoleGrant], method: Method) {
        self.user = user
        self.grants = grants
        self.method = method
    }

    /// How the timeline names the actor: the person's name and login.
    public var actorName: String { "\(user.name)（\(user.login)）" }

    /// The grants whose scope covers the incident, by the role's visibility.
    public func grants(covering incident: IncidentAccess, tree: JurisdictionTree) -> [RoleGrant] {
        grants.filter { grant in
            guard tree.isWithin(incident.jurisdiction, grant.jurisdictionID) else { return false }
            switch grant.role.visibility {
            case .jurisdiction: return true
            case .ownUnit: return grant.organisationID != nil && grant.organisationID == incident.organisationID
            case .involvedUnit: return grant.organisationID.map(incident.involvedOrganisations.contains) ?? false
            }
        }
    }

    public func canSee(_ incident: IncidentAccess, tree: JurisdictionTree) -> Bool {
        may(.readIncident, on: incident, tree: tree)
    }

    public func may(_ action: Action, on incident: IncidentAccess, tree: JurisdictionTree) -> Bool {
        grants(covering: incident, tree: tree).contains { Permissions.allows($0.role, action) }
    }

    /// Grants under which the action may be taken somewhere in `jurisdiction` (reporting a new incident there).
    public func grants(for action: Action, in jurisdiction: String, tree: JurisdictionTree) -> [RoleGrant] {
        grants.filter { Permissions.allows($0.role, action) && tree.isWithin(jurisdiction, $0.jurisdictionID) }
    }

    /// Grants that allow an action regardless of place (administration).
    public func grants(for action: Action) -> [RoleGrant] {
        grants.filter { Permissions.allows($0.role, action) }
    }

    /// The plan's posts and bodies this account acts for on this incident: those whose holders
    /// include a role it holds through a grant covering the incident, in the jurisdiction the plan
    /// is bound to at its top. A 团场 or 镇 under the 师市's or 县's plan applies that plan, but its
    /// own leaders do not hold the plan's posts: the plan names the 师市's and 县's (Kunyu 5.3.2,
    /// 4.2.4; Bachu 4.2). A higher level with its own plan takes over through a handover, not by holding
    /// the lower plan's posts.
    public func planRoles(on incident: IncidentAccess, plan: Plan, tree: JurisdictionTree) -> [String] {
        let roles = Set(grants(covering: incident, tree: tree).filter {
            Permissions.allows($0.role, .decideResponse) && tree.isPlanTop($0.jurisdictionID, plan: plan.id)
        }.map(\.role))
        return plan.command.roles.filter { !roles.isDisjoint(with: $0.holders) }.map(\.id)
    }

    /// The conditions for listing visible incidents.
    public func visibility(tree: JurisdictionTree) -> [VisibilityClause] {
        grants.filter { Permissions.allows($0.role, .readIncident) }.compactMap { grant in
            let jurisdictions = tree.subtree(grant.jurisdictionID)
            switch grant.role.visibility {
            case .jurisdiction: return VisibilityClause(jurisdictions: jurisdictions, organisationID: nil, involvedOrganisationID: nil)
            case .ownUnit:
                guard let organisation = grant.organisationID else { return nil }
                return VisibilityClause(jurisdictions: jurisdictions, organisationID: organisation, involvedOrganisationID: nil)
            case .involvedUnit:
                guard let organisation = grant.organisationID else { return nil }
                return VisibilityClause(jurisdictions: jurisdictions, organisationID: nil, involvedOrganisationID: organisation)
            }
        }
    }

}
