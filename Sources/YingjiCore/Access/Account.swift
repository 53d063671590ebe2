import Foundation

/// A person (or a system, through its tokens) who signs in.
public struct UserAccount: Sendable, Equatable, Codable {
    public let id: String
    public let login: String
    public var name: String
    /// bcrypt; never the password.
    public var passwordHash: String
    public var disabled: Bool
    public let createdAt: Date
    public var passwordChangedAt: Date

    public init(id: String, login: String, name: String, passwordHash: String, disabled: Bool = false, createdAt: Date, passwordChangedAt: Date? = nil) {
        self.id = id
        self.login = login
        self.name = name
        self.passwordHash = passwordHash
        self.disabled = disabled
        self.createdAt = createdAt
        self.passwordChangedAt = passwordChangedAt ?? createdAt
    }
}

/// A role held in a jurisdiction (and, for enterprise reporters and member-unit liaisons, for one organisation).
public struct RoleGrant: Sendable, Hashable, Codable {
    public let role: UserRole
    public let jurisdictionID: String
    public let organisationID: String?

    public init(role: UserRole, jurisdictionID: String, organisationID: String? = nil) {
        self.role = role
        self.jurisdictionID = jurisdictionID
        self.organisationID = organisationID
    }

    /// `commander@kunyu`, `enterprise-reporter@kunyu/org_x`: how the CLI reads and prints a grant.
    public var text: String { "\(role.rawValue)@\(jurisdictionID)" + (organisationID.map { "/\($0)" } ?? "") }

    public init?(text: String) {
        let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
        guard parts.count == 2, let role = UserRole(rawValue: parts[0]) else { return nil }
        let place = parts[1].split(separator: "/", maxSplits: 1).map(String.init)
        guard let jurisdiction = place.first, !jurisdiction.isEmpty else { return nil }
        self.init(role: role, jurisdictionID: jurisdiction, organisationID: place.count == 2 ? place[1] : nil)
    }
}

/// A member department (公安局, 卫健委 …) or a production unit (enterprise), in a jurisdiction.
public struct Organisation: Sendable, Equatable, Codable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case memberUnit = "member-unit"
        case enterprise
    }

    public let id: String
    public let name: String
    public let kind: Kind
    public let jurisdictionID: String

    public init(id: String, name: String, kind: Kind, jurisdictionID: String) {
        self.id = id
        self.name = name
        self.kind = kind
        self.jurisdictionID = jurisdictionID
    }
}

/// A signed-in browser. The cookie holds the secret; only its SHA-256 is stored.
public struct SessionRecord: Sendable, Equatable {
    public let idHash: String
    public let userID: String
    public let csrfToken: String
    public let createdAt: Date
    public var lastSeenAt: Date
    public var expiresAt: Date

    public init(idHash: String, userID: String, csrfToken: String, createdAt: Date, lastSeenAt: Date, expiresAt: Date) {
        self.idHash = idHash
        self.userID = userID
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
    }
}

/// A machine client's token: scoped to one role in one jurisdiction, expiring, revocable.
/// Shown once when made; only its SHA-256 is stored.
public struct APITokenRecord: Sendable, Equatable {
    public let id: String
    public let userID: String
    public let name: String
    public let tokenHash: String
    public let grant: RoleGrant
    public let createdAt: Date
    public let expiresAt: Date
    public var revokedAt: Date?
    public var lastUsedAt: Date?

    public init(id: String, userID: String, name: String, tokenHash: String, grant: RoleGrant, createdAt: Date, expiresAt: Date,
                revokedAt: Date? = nil, lastUsedAt: Date? = nil) {
        self.id = id
        self.userID = userID
        self.name = name
        self.tokenHash = tokenHash
        self.grant = grant
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
    }
}

/// One line of the security log: logins, failed logins, logouts, role changes, token use.
public struct AuthEvent: Sendable, Equatable {
    public let at: Date
    public let kind: String
    public let login: String?
    public let address: String?
    public let detail: String

    public init(at: Date, kind: String, login: String?, address: String?, detail: String) {
        self.at = at
        self.kind = kind
        self.login = login
        self.address = address
        self.detail = detail
    }
}

public enum AccountError: Error, Equatable, Sendable {
    case loginTaken(String)
    case notFound(String)
}

/// Where accounts, organisations, sessions, tokens and the security log are kept.
public protocol AccountRepository: Sendable {
    func user(id: String) async throws -> UserAccount?
    func user(login: String) async throws -> UserAccount?
    func users() async throws -> [UserAccount]
    /// Throws `AccountError.loginTaken`.
    func insert(_ user: UserAccount, grants: [RoleGrant], event: AuthEvent) async throws
    func update(_ user: UserAccount, event: AuthEvent) async throws
    func grants(userID: String) async throws -> [RoleGrant]
    func setGrants(userID: String, _ grants: [RoleGrant], event: AuthEvent) async throws
    func administratorExists() async throws -> Bool

    func organisations() async throws -> [Organisation]
    func insert(_ organisation: Organisation) async throws

    func session(idHash: String) async throws -> SessionRecord?
    func insert(_ session: SessionRecord, event: AuthEvent) async throws
    func touch(_ session: SessionRecord) async throws
    func deleteSession(idHash: String, event: AuthEvent?) async throws
    /// Ends every session of a user (password change, account disabled).
    func deleteSessions(userID: String) async throws

    func token(hash: String) async throws -> APITokenRecord?
    func tokens(userID: String?) async throws -> [APITokenRecord]
    func insert(_ token: APITokenRecord, event: AuthEvent) async throws
    func revokeToken(id: String, at: Date, event: AuthEvent) async throws -> Bool
    func markTokenUsed(id: String, at: Date, event: AuthEvent) async throws

    /// Failed logins since `since`, by account and by address.
    func loginFailures(login: String, since: Date) async throws -> [Date]
    func loginFailures(address: String, since: Date) async throws -> [Date]
    func recordLoginFailure(login: String, address: String, at: Date, event: AuthEvent) async throws
    func clearLoginFailures(login: String) async throws

    func record(_ event: AuthEvent) async throws
    func events(limit: Int) async throws -> [AuthEvent]
}
