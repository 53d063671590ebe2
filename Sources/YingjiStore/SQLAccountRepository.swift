import Foundation
import SQLKit
import YingjiCore

/// Accounts, organisations, sessions, tokens and the security log in SQL. Writes go through the
/// same group-commit writer as incidents; each security event is written in the same
/// transaction as the change it records.
public final class SQLAccountRepository: AccountRepository, Sendable {
    let writer: GroupCommitWriter
    let reads: ReadConnections

    init(writer: GroupCommitWriter, reads: ReadConnections) {
        self.writer = writer
        self.reads = reads
    }

    private static let userColumns = "id, login, name, password_hash, disabled, created_at, password_changed_at"

    public func user(id: String) async throws -> UserAccount? {
        try await reads.database.raw("SELECT \(unsafeRaw: Self.userColumns) FROM users WHERE id = \(bind: id)").all().first.map(Self.decodeUser)
    }

    public func user(login: String) async throws -> UserAccount? {
        try await reads.database.raw("SELECT \(unsafeRaw: Self.userColumns) FROM users WHERE login = \(bind: login)").all().first.map(Self.decodeUser)
    }

    public func users() async throws -> [UserAccount] {
        try await reads.database.raw("SELECT \(unsafeRaw: Self.userColumns) FROM users ORDER BY login").all().map(Self.decodeUser)
    }

    public func insert(_ user: UserAccount, grants: [RoleGrant], event: AuthEvent) async throws {
        var steps = [WriteStep("""
            INSERT INTO users (id, login, name, password_hash, disabled, created_at, password_changed_at)
            VALUES (\(bind: user.id), \(bind: user.login), \(bind: user.name), \(bind: user.passwordHash), \(bind: user.disabled ? 1 : 0),
                    \(bind: user.createdAt.timeIntervalSinceReferenceDate), \(bind: user.passwordChangedAt.timeIntervalSinceReferenceDate))
            ON CONFLICT (login) DO NOTHING
            RETURNING id
            """, refusedUnlessRow: .loginTaken(user.login))]
        steps += grants.map { Self.insertGrant($0, userID: user.id) }
        steps.append(Self.eventStep(event))
        do {
            try await writer.write(steps)
        } catch WriteRefusal.loginTaken(let login) {
            throw AccountError.loginTaken(login)
        }
    }

    public func update(_ user: UserAccount, event: AuthEvent) async throws {
        try await writer.write([
            WriteStep("""
                UPDATE users SET name = \(bind: user.name), password_hash = \(bind: user.passwordHash), disabled = \(bind: user.disabled ? 1 : 0),
                    password_changed_at = \(bind: user.passwordChangedAt.timeIntervalSinceReferenceDate)
                WHERE id = \(bind: user.id)
                RETURNING id
                """, refusedUnlessRow: .notFound(user.login)),
            Self.eventStep(event),
        ])
    }

    public func grants(userID: String) async throws -> [RoleGrant] {
        try await reads.database.raw("""
            SELECT role, jurisdiction_id, organisation_id FROM role_grants WHERE user_id = \(bind: userID)
            ORDER BY jurisdiction_id, role, organisation_id
            """).all().compactMap { row in
            guard let role = UserRole(rawValue: try row.decode(column: "role", as: String.self)) else { return nil }
            let organisation = try row.decode(column: "organisation_id", as: String.self)
            return RoleGrant(role: role, jurisdictionID: try row.decode(column: "jurisdiction_id", as: String.self),
                             organisationID: organisation.isEmpty ? nil : organisation)
        }
    }

    public func setGrants(userID: String, _ grants: [RoleGrant], event: AuthEvent) async throws {
        var steps = [WriteStep("DELETE FROM role_grants WHERE user_id = \(bind: userID)")]
        steps += grants.map { Self.insertGrant($0, userID: userID) }
        steps.append(Self.eventStep(event))
        try await writer.write(steps)
    }

    public func administratorExists() async throws -> Bool {
        try await !reads.database.raw("""
            SELECT 1 AS found FROM role_grants JOIN users ON users.id = role_grants.user_id
            WHERE role = \(bind: UserRole.administrator.rawValue) AND users.disabled = 0 LIMIT 1
            """).all().isEmpty
    }

    public func organisations() async throws -> [Organisation] {
        try await reads.database.raw("SELECT id, name, kind, jurisdiction_id FROM organisations ORDER BY jurisdiction_id, name").all().compactMap { row in
            guard let kind = Organisation.Kind(rawValue: try row.decode(column: "kind", as: String.self)) else { return nil }
            return Organisation(id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self),
                                kind: kind, jurisdictionID: try row.decode(column: "jurisdiction_id", as: String.self))
        }
    }

    public func insert(_ organisation: Organisation) async throws {
        try await writer.write([WriteStep("""
            INSERT INTO organisations (id, name, kind, jurisdiction_id)
            VALUES (\(bind: organisation.id), \(bind: organisation.name), \(bind: organisation.kind.rawValue), \(bind: organisation.jurisdictionID))
            """)])
    }

    public func session(idHash: String) async throws -> SessionRecord? {
        try await reads.database.raw("""
            SELECT id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at FROM sessions WHERE id_hash = \(bind: idHash)
            """).all().first.map { row in
            SessionRecord(idHash: try row.decode(column: "id_hash", as: String.self), userID: try row.decode(column: "user_id", as: String.self),
                          csrfToken: try row.decode(column: "csrf_token", as: String.self),
                          createdAt: try Self.date(row, "created_at"), lastSeenAt: try Self.date(row, "last_seen_at"),
                          expiresAt: try Self.date(row, "expires_at"))
        }
    }

    public func insert(_ session: SessionRecord, event: AuthEvent) async throws {
        try await writer.write([
            WriteStep("""
                INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
                VALUES (\(bind: session.idHash), \(bind: session.userID), \(bind: session.csrfToken), \(bind: session.createdAt.timeIntervalSinceReferenceDate),
                        \(bind: session.lastSeenAt.timeIntervalSinceReferenceDate), \(bind: session.expiresAt.timeIntervalSinceReferenceDate))
                """),
            Self.eventStep(event),
        ])
    }

    public func touch(_ session: SessionRecord) async throws {
        try await writer.write([WriteStep("""
            UPDATE sessions SET last_seen_at = \(bind: session.lastSeenAt.timeIntervalSinceReferenceDate),
                expires_at = \(bind: session.expiresAt.timeIntervalSinceReferenceDate)
            WHERE id_hash = \(bind: session.idHash)
            """)])
    }

    public func deleteSession(idHash: String, event: AuthEvent?) async throws {
        try await writer.write([WriteStep("DELETE FROM sessions WHERE id_hash = \(bind: idHash)")] + (event.map { [Self.eventStep($0)] } ?? []))
    }

    public func deleteSessions(userID: String) async throws {
        try await writer.write([WriteStep("DELETE FROM sessions WHERE user_id = \(bind: userID)")])
    }

    private static let tokenColumns = "id, user_id, name, token_hash, role, jurisdiction_id, organisation_id, created_at, expires_at, revoked_at, last_used_at"

    public func token(hash: String) async throws -> APITokenRecord? {
        try await reads.database.raw("SELECT \(unsafeRaw: Self.tokenColumns) FROM api_tokens WHERE token_hash = \(bind: hash)").all().first.flatMap(Self.decodeToken)
    }

    public func tokens(userID: String?) async throws -> [APITokenRecord] {
        var sql = SQLQueryString("SELECT \(unsafeRaw: Self.tokenColumns) FROM api_tokens")
        if let userID {
            sql.appendInterpolation(unsafeRaw: " WHERE user_id = ")
            sql.appendInterpolation(bind: userID)
        }
        sql.appendInterpolation(unsafeRaw: " ORDER BY created_at, id")
        return try await reads.database.raw(sql).all().compactMap(Self.decodeToken)
    }

    public func insert(_ token: APITokenRecord, event: AuthEvent) async throws {
        try await writer.write([
            WriteStep("""
                INSERT INTO api_tokens (id, user_id, name, token_hash, role, jurisdiction_id, organisation_id, created_at, expires_at)
                VALUES (\(bind: token.id), \(bind: token.userID), \(bind: token.name), \(bind: token.tokenHash), \(bind: token.grant.role.rawValue),
                        \(bind: token.grant.jurisdictionID), \(bind: token.grant.organisationID),
                        \(bind: token.createdAt.timeIntervalSinceReferenceDate), \(bind: token.expiresAt.timeIntervalSinceReferenceDate))
                """),
            Self.eventStep(event),
        ])
    }

    public func revokeToken(id: String, at: Date, event: AuthEvent) async throws -> Bool {
        do {
            try await writer.write([
                WriteStep("""
                    UPDATE api_tokens SET revoked_at = \(bind: at.timeIntervalSinceReferenceDate)
                    WHERE id = \(bind: id) AND revoked_at IS NULL RETURNING id
                    """, refusedUnlessRow: .notFound(id)),
                Self.eventStep(event),
            ])
            return true
        } catch WriteRefusal.notFound {
            return false
        }
    }

    public func markTokenUsed(id: String, at: Date, event: AuthEvent) async throws {
        try await writer.write([
            WriteStep("UPDATE api_tokens SET last_used_at = \(bind: at.timeIntervalSinceReferenceDate) WHERE id = \(bind: id)"),
            Self.eventStep(event),
        ])
    }

    public func loginFailures(login: String, since: Date) async throws -> [Date] {
        try await reads.database.raw("""
            SELECT at FROM login_failures WHERE login = \(bind: login) AND at >= \(bind: since.timeIntervalSinceReferenceDate) ORDER BY at
            """).all().map { try Self.date($0, "at") }
    }

    public func loginFailures(address: String, since: Date) async throws -> [Date] {
        try await reads.database.raw("""
            SELECT at FROM login_failures WHERE address = \(bind: address) AND at >= \(bind: since.timeIntervalSinceReferenceDate) ORDER BY at
            """).all().map { try Self.date($0, "at") }
    }

    public func recordLoginFailure(login: String, address: String, at: Date, event: AuthEvent) async throws {
        try await writer.write([
            WriteStep("INSERT INTO login_failures (login, address, at) VALUES (\(bind: login), \(bind: address), \(bind: at.timeIntervalSinceReferenceDate))"),
            Self.eventStep(event),
        ])
    }

    public func clearLoginFailures(login: String) async throws {
        try await writer.write([WriteStep("DELETE FROM login_failures WHERE login = \(bind: login)")])
    }

    public func record(_ event: AuthEvent) async throws {
        try await writer.write([Self.eventStep(event)])
    }

    public func events(limit: Int) async throws -> [AuthEvent] {
        try await reads.database.raw("""
            SELECT at, kind, login, address, detail FROM auth_events ORDER BY at DESC LIMIT \(unsafeRaw: String(max(0, min(limit, 10_000))))
            """).all().map { row in
            AuthEvent(at: try Self.date(row, "at"), kind: try row.decode(column: "kind", as: String.self),
                      login: try row.decode(column: "login", as: String?.self), address: try row.decode(column: "address", as: String?.self),
                      detail: try row.decode(column: "detail", as: String.self))
        }
    }

    // MARK: rows

    private static func insertGrant(_ grant: RoleGrant, userID: String) -> WriteStep {
        WriteStep("""
            INSERT INTO role_grants (user_id, role, jurisdiction_id, organisation_id)
            VALUES (\(bind: userID), \(bind: grant.role.rawValue), \(bind: grant.jurisdictionID), \(bind: grant.organisationID ?? ""))
            """)
    }

    private static func eventStep(_ event: AuthEvent) -> WriteStep {
        WriteStep("""
            INSERT INTO auth_events (at, kind, login, address, detail)
            VALUES (\(bind: event.at.timeIntervalSinceReferenceDate), \(bind: event.kind), \(bind: event.login), \(bind: event.address), \(bind: event.detail))
            """)
    }

    private static func date(_ row: any SQLRow, _ column: String) throws -> Date {
        Date(timeIntervalSinceReferenceDate: try row.decode(column: column, as: Double.self))
    }

    private static func decodeUser(_ row: any SQLRow) throws -> UserAccount {
        UserAccount(id: try row.decode(column: "id", as: String.self), login: try row.decode(column: "login", as: String.self),
                    name: try row.decode(column: "name", as: String.self), passwordHash: try row.decode(column: "password_hash", as: String.self),
                    disabled: try row.decode(column: "disabled", as: Int.self) != 0, createdAt: try date(row, "created_at"),
                    passwordChangedAt: try date(row, "password_changed_at"))
    }

    private static func decodeToken(_ row: any SQLRow) throws -> APITokenRecord? {
        guard let role = UserRole(rawValue: try row.decode(column: "role", as: String.self)) else { return nil }
        return APITokenRecord(
            id: try row.decode(column: "id", as: String.self), userID: try row.decode(column: "user_id", as: String.self),
            name: try row.decode(column: "name", as: String.self), tokenHash: try row.decode(column: "token_hash", as: String.self),
            grant: RoleGrant(role: role, jurisdictionID: try row.decode(column: "jurisdiction_id", as: String.self),
                             organisationID: try row.decode(column: "organisation_id", as: String?.self)),
            createdAt: try date(row, "created_at"), expiresAt: try date(row, "expires_at"),
            revokedAt: try row.decode(column: "revoked_at", as: Double?.self).map(Date.init(timeIntervalSinceReferenceDate:)),
            lastUsedAt: try row.decode(column: "last_used_at", as: Double?.self).map(Date.init(timeIntervalSinceReferenceDate:))
        )
    }
}
