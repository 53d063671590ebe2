import Foundation
import SQLKit
import Testing
@testable import YingjiCore
@testable import YingjiStore

/// Accounts, sessions, tokens, throttling records and the security log, on both engines.
@Suite(.serialized) struct AccountStoreTests {
    private func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    private func jurisdictions(_ store: Store) async throws -> (String, String) {
        let parent = unique("j"), child = unique("j")
        try await store.jurisdictions.insert(RegisteredJurisdiction(id: parent, name: "上级", parentID: nil, planID: "kunyu"))
        try await store.jurisdictions.insert(RegisteredJurisdiction(id: child, name: "下级", parentID: parent, planID: "kunyu"))
        return (parent, child)
    }

    private func event(_ kind: String, _ login: String) -> AuthEvent { AuthEvent(at: t0, kind: kind, login: login, address: "127.0.0.1", detail: "test") }

    @Test(arguments: Engines.all) func usersAndGrantsRoundTripAndLoginsAreUnique(_ engine: SQLEngine) async throws {
        let store = try await Engines.open(engine)
        let (parent, child) = try await jurisdictions(store)
        let login = unique("zhang")
        let user = UserAccount(id: unique("usr"), login: login, name: "张三", passwordHash: "$2b$04$hash", createdAt: t0)
        let grants = [RoleGrant(role: .commander, jurisdictionID: parent), RoleGrant(role: .enterpriseReporter, jurisdictionID: child, organisationID: "org-1")]
        try await store.accounts.insert(user, grants: grants, event: event("user.created", login))
        #expect(try await store.accounts.user(login: login) == user)
        #expect(try await store.accounts.user(id: user.id) == user)
        #expect(Set(try await store.accounts.grants(userID: user.id)) == Set(grants))

        let twin = UserAccount(id: unique("usr"), login: login, name: "李四", passwordHash: "x", createdAt: t0)
        await #expect(throws: AccountError.loginTaken(login)) { try await store.accounts.insert(twin, grants: [], event: event("user.created", login)) }
        #expect(try await store.accounts.user(id: twin.id) == nil)

        var changed = user
        changed.disabled = true
        changed.passwordHash = "$2b$04$other"
        try await store.accounts.update(changed, event: event("user.disabled", login))
        #expect(try await store.accounts.user(id: user.id) == changed)

        try await store.accounts.setGrants(userID: user.id, [RoleGrant(role: .viewer, jurisdictionID: child)], event: event("user.roles", login))
        #expect(try await store.accounts.grants(userID: user.id) == [RoleGrant(role: .viewer, jurisdictionID: child)])
        let kinds = try await store.accounts.events(limit: 1000).filter { $0.login == login }.map(\.kind)
        #expect(Set(kinds) == ["user.created", "user.disabled", "user.roles"])
        try await store.close()
    }

    @Test(arguments: Engines.all) func sessionsTokensAndLoginFailures(_ engine: SQLEngine) async throws {
        let store = try await Engines.open(engine)
        let (parent, _) = try await jurisdictions(store)
        let login = unique("wang")
        let user = UserAccount(id: unique("usr"), login: login, name: "王五", passwordHash: "x", createdAt: t0)
        try await store.accounts.insert(user, grants: [], event: event("user.created", login))

        var session = SessionRecord(idHash: unique("sess"), userID: user.id, csrfToken: "csrf", createdAt: t0, lastSeenAt: t0, expiresAt: t0.addingTimeInterval(3600))
        try await store.accounts.insert(session, event: event("login", login))
        #expect(try await store.accounts.session(idHash: session.idHash) == session)
        session.lastSeenAt = t0.addingTimeInterval(60)
        session.expiresAt = t0.addingTimeInterval(3660)
        try await store.accounts.touch(session)
        #expect(try await store.accounts.session(idHash: session.idHash) == session)
        try await store.accounts.deleteSession(idHash: session.idHash, event: event("logout", login))
        #expect(try await store.accounts.session(idHash: session.idHash) == nil)

        let token = APITokenRecord(id: unique("tok"), userID: user.id, name: "大屏", tokenHash: unique("hash"),
                                   grant: RoleGrant(role: .viewer, jurisdictionID: parent), createdAt: t0, expiresAt: t0.addingTimeInterval(86_400))
        try await store.accounts.insert(token, event: event("token.created", login))
        #expect(try await store.accounts.token(hash: token.tokenHash) == token)
        try await store.accounts.markTokenUsed(id: token.id, at: t0.addingTimeInterval(5), event: event("token.used", login))
        #expect(try await store.accounts.token(hash: token.tokenHash)?.lastUsedAt == t0.addingTimeInterval(5))
        #expect(try await store.accounts.revokeToken(id: token.id, at: t0.addingTimeInterval(10), event: event("token.revoked", login)))
        #expect(try await store.accounts.revokeToken(id: token.id, at: t0.addingTimeInterval(20), event: event("token.revoked", login)) == false)
        #expect(try await store.accounts.token(hash: token.tokenHash)?.revokedAt == t0.addingTimeInterval(10))
        #expect(try await store.accounts.tokens(userID: user.id).map(\.id) == [token.id])

        let address = unique("10.0.0")
        for minute in 0..<3 {
            try await store.accounts.recordLoginFailure(login: login, address: address, at: t0.addingTimeInterval(Double(minute * 60)), event: event("login.failed", login))
        }
        #expect(try await store.accounts.loginFailures(login: login, since: t0.addingTimeInterval(60)).count == 2)
        #expect(try await store.accounts.loginFailures(address: address, since: t0).count == 3)
        try await store.accounts.clearLoginFailures(login: login)
        #expect(try await store.accounts.loginFailures(login: login, since: t0).isEmpty)
        #expect(try await store.accounts.loginFailures(address: address, since: t0).isEmpty)
        try await store.close()
    }

    @Test(arguments: Engines.all) func incidentListsHonourVisibilityClauses(_ engine: SQLEngine) async throws {
        let store = try await Engines.open(engine)
        let service = IncidentService(repository: store.incidents, plans: try KunyuOnly(), clock: FixedClock(t0), ids: UUIDs(), hasher: SHA256ChainHasher())
        // Ids with `_` and `%` must match only themselves in the LIKE that finds involved units.
        let org = unique("org"), police = unique("org_police%")
        let lookalike = police.replacingOccurrences(of: "_", with: "x")
        let own = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "企业", parties: IncidentParties(organisationID: org, involved: [police]))
        let other = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "值班员")
        func ids(_ clause: VisibilityClause) async throws -> Set<String> {
            Set(try await store.incidents.incidents(IncidentQuery(visibility: [clause], limit: 100_000)).map(\.id)).intersection([own.id, other.id])
        }
        #expect(try await ids(VisibilityClause(jurisdictions: ["kunyu"], organisationID: nil, involvedOrganisationID: nil)) == [own.id, other.id])
        #expect(try await ids(VisibilityClause(jurisdictions: ["kunyu"], organisationID: org, involvedOrganisationID: nil)) == [own.id])
        #expect(try await ids(VisibilityClause(jurisdictions: ["kunyu"], organisationID: nil, involvedOrganisationID: police)) == [own.id])
        #expect(try await ids(VisibilityClause(jurisdictions: ["kunyu"], organisationID: nil, involvedOrganisationID: lookalike)).isEmpty)
        #expect(try await ids(VisibilityClause(jurisdictions: ["kunyu"], organisationID: nil, involvedOrganisationID: "%")).isEmpty)
        #expect(try await ids(VisibilityClause(jurisdictions: ["bachu"], organisationID: nil, involvedOrganisationID: nil)).isEmpty)
        #expect(try await store.incidents.incidents(IncidentQuery(visibility: [], limit: 10)).isEmpty)
        // A follow-up keeps who the incident belongs to.
        let followed = try await service.addReport(own.id, ReportDraft(kind: .followUp, figures: [.deaths: 2]), expectedVersion: 1, actor: "企业")
        #expect(try await store.incidents.incident(id: own.id)?.access == followed.access)
        #expect(try await ids(VisibilityClause(jurisdictions: ["kunyu"], organisationID: org, involvedOrganisationID: nil)) == [own.id])
        try await store.close()
    }
}
