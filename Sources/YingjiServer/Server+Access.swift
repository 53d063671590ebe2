import Foundation
import YingjiCore

extension Server {
    /// The incident, if the account may see it; otherwise 404 exactly as for a missing one, so
    /// guessed ids tell nothing. Used by the API and the pages alike.
    func visibleIncident(_ id: String, identity: Identity) async throws -> Incident {
        let incident: Incident
        do {
            incident = try await incidents.incident(id)
        } catch let error as IncidentError where error.kind == .notFound {
            throw APIError.noIncident(id)
        }
        guard identity.canSee(incident.access, tree: catalog.tree) else { throw APIError.noIncident(id) }
        return incident
    }

    /// The incident, once the account may see it and take `action` on it (403 otherwise).
    func authorisedIncident(_ id: String, _ action: Action, identity: Identity) async throws -> Incident {
        let incident = try await visibleIncident(id, identity: identity)
        guard identity.may(action, on: incident.access, tree: catalog.tree) else { throw APIError.denied(action) }
        return incident
    }
}
