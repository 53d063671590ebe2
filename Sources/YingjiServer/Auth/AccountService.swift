import Crypto
import Foundation
import HTTPTypes
import YingjiCore

/// How long sessions live and when logins are throttled.
public struct AuthSettings: Sendable {
    /// A session ends after this long without a request …
    public var sessionIdle: TimeInterval = 2 * 3600
    /// … and in any case this long after login (one duty shift).
    public var sessionLifetime: TimeInterval = 12 * 3600
    /// Failed logins counted over this window …
    public var failureWindow: TimeInterval = 15 * 60
    /// … lock the account after this many …
    public var failuresPerLogin = 5
    /// … and the address after this many (any accounts).
    public var failuresPerAddress = 20
    /// New API tokens expire after this many days unless told otherwise.
    public var tokenDays = 90
    /// Session `lastSeenAt` and token `lastUsedAt` are written at most this often.
    public var touchInterval: TimeInterval = 60
    /// A checked session or token is trusted this long without asking the database again.
    /// Changes made through this server (logout, revocation, roles, passwords) apply at once;
    /// changes made by another process (the CLI) apply within this time.
    public var recheckInterval: TimeInterval = 5

    public init() {}
}

/// The outcome of a login: the cookie secret (shown to the browser once), the session row and who it is.
public struct LoginResult: Sendable {
    public let secret: String
    public let session: SessionRecord
    public let identity: Identity
}

/// Sign-in, sessions, API tokens and account administration. Secrets (session ids, tokens) are
/// random, handed out once and stored only as SHA-256; passwords only as bcrypt.
public final class AccountService: Sendable {
    public let repository: AccountRepository
    public let hasher: PasswordHasher
    public let settings: AuthSettings
    let clock: WallClock
    let ids: IDGenerator
    /// The jurisdictions, to check grants name real places.
    let tree: @Sendable () -> JurisdictionTree
    /// Checked when the login does not exist, so a wrong login costs the same time as a wrong password.
    private let decoy = DecoyHash()
    /// Sessions and tokens checked in the last few seconds, by the SHA-256 of their secret.
    private let recent = IdentityCache()
    /// Logins being checked right now, by login and by address: counted with the stored
    /// failures, so a burst of parallel guesses cannot all pass the lock check before the first
    /// failure is written.
    private let attempts = AttemptCounter()

    public static let tokenPrefix = "yj_"

    public init(repository: AccountRepository, hasher: PasswordHasher, settings: AuthSettings = AuthSettings(), clock: WallClock,
                ids: IDGenerator, tree: @escaping @Sendable () -> JurisdictionTree) {
        self.repository = repository
        self.hasher = hasher
        self.settings = settings
        self.clock = clock
        self.ids = ids
        self.tree = tree
    }

    // MARK: signing in

    public func login(_ login: String, password: String, address: String) async throws -> LoginResult {
        let now = clock.now()
        let name = login.trimmingCharacters(in: .whitespaces).lowercased()
        guard !name.isEmpty else { throw APIError(.unprocessableContent, "session.missing_login", "请填写登录名", field: "login") }
        guard !password.isEmpty else { throw APIError(.unprocessableContent, "session.missing_password", "请填写密码", field: "password") }
        // The attempt is counted before the stored failures are read: any attempt that ended
        // before that read has its failure stored, any that has not is among `running`, so a
        // burst of parallel guesses gets at most the limit of password checks.
        let running = attempts.begin(login: name, address: address)
        defer { attempts.end(login: name, address: address) }
        let since = now.addingTimeInterval(-settings.failureWindow)
        let loginFailures = try await repository.loginFailures(login: name, since: since)
        let addressFailures = try await repository.loginFailures(address: address, since: since)
        if let until = lockedUntil(loginFailures, limit: settings.failuresPerLogin, now: now) {
            try await repository.record(AuthEvent(at: now, kind: "login.locked", login: name, address: address, detail: "账号暂时锁定至 \(Timestamp.format(until))"))
            throw Self.locked(until: until, now: now, what: "账号「\(name)」")
        }
        if let until = lockedUntil(addressFailures, limit: settings.failuresPerAddress, now: now) {
            try await repository.record(AuthEvent(at: now, kind: "login.locked", login: name, address: address, detail: "来源地址暂时锁定至 \(Timestamp.format(until))"))
            throw Self.locked(until: until, now: now, what: "来自该地址的登录")
        }
        // Failures still in the window (a lock that has ended leaves them counted until they age out).
        let byLogin = loginFailures.filter { $0.addingTimeInterval(settings.failureWindow) > now }.count
        let byAddress = addressFailures.filter { $0.addingTimeInterval(settings.failureWindow) > now }.count
        guard byLogin + running.login < settings.failuresPerLogin, byAddress + running.address < settings.failuresPerAddress else {
            throw APIError(.tooManyRequests, "session.busy", "同一账号或地址的登录请求过多，请稍候再试", headers: [.retryAfter: "1"])
        }
        let user = try await repository.user(login: name)
        let stored: String
        if let user { stored = user.passwordHash } else { stored = try await decoy.hash(using: hasher) }
        let matches = try await hasher.verify(password, hash: stored)
        guard let user, matches else {
            try await repository.recordLoginFailure(login: name, address: address, at: now,
                                                    event: AuthEvent(at: now, kind: "login.failed", login: name, address: address, detail: user == nil ? "无此账号" : "密码错误"))
            throw APIError(.unauthorized, "session.invalid_credentials", "登录名或密码不正确", headers: Self.challenge)
        }
        guard !user.disabled else {
            try await repository.record(AuthEvent(at: now, kind: "login.disabled", login: name, address: address, detail: "账号已停用"))
            throw APIError(.forbidden, "session.disabled", "账号已停用，请联系管理员")
        }
        try await repository.clearLoginFailures(login: name)
        // A new random id on every login: a session id planted before login is never reused (fixation).
        let secret = Self.randomHex(32)
        let session = SessionRecord(idHash: Self.sha256(secret), userID: user.id, csrfToken: Self.randomHex(32), createdAt: now, lastSeenAt: now,
                                    expiresAt: now.addingTimeInterval(settings.sessionLifetime))
        try await repository.insert(session, event: AuthEvent(at: now, kind: "login", login: name, address: address, detail: "登录成功"))
        let identity = Identity(user: user, grants: try await repository.grants(userID: user.id), method: .session(csrfToken: session.csrfToken))
        return LoginResult(secret: secret, session: session, identity: identity)
    }

    /// The account behind a session cookie; nil when the session is unknown, expired or the account disabled.
    public func identity(sessionSecret secret: String) async throws -> (Identity, SessionRecord)? {
        guard secret.utf8.count == 64 else { return nil }  // a secret is 64 hex digits; its UTF-8 count is O(1)
        let now = clock.now()
        let hash = Self.sha256(secret)
        if let cached = recent.lookup(hash, now: now, within: settings.recheckInterval), let session = cached.session { return (cached.identity, session) }
        let generation = recent.generation
        guard var session = try await repository.session(idHash: hash) else { return nil }
        if now >= session.expiresAt || now.timeIntervalSince(session.lastSeenAt) >= settings.sessionIdle {
            try await repository.deleteSession(idHash: hash, event: AuthEvent(at: now, kind: "session.expired", login: nil, address: nil, detail: "会话过期（用户 \(session.userID)）"))
            return nil
        }
        guard let user = try await repository.user(id: session.userID), !user.disabled else { return nil }
        if now.timeIntervalSince(session.lastSeenAt) >= settings.touchInterval {
            session.lastSeenAt = now
            try await repository.touch(session)
        }
        let identity = Identity(user: user, grants: try await repository.grants(userID: user.id), method: .session(csrfToken: session.csrfToken))
        recent.store(hash, identity: identity, session: session, expiresAt: min(session.expiresAt, session.lastSeenAt.addingTimeInterval(settings.sessionIdle)),
                     now: now, generation: generation)
        return (identity, session)
    }

    public func logout(sessionSecret secret: String, login: String, address: String) async throws {
        recent.remove(Self.sha256(secret))
        try await repository.deleteSession(idHash: Self.sha256(secret), event: AuthEvent(at: clock.now(), kind: "logout", login: login, address: address, detail: "退出登录"))
    }

    /// The account behind an API token, acting under the token's one grant; nil when the token is
    /// unknown, revoked, expired, its account disabled, or the account no longer holds that grant.
    public func identity(token: String, address: String) async throws -> Identity? {
        guard token.hasPrefix(Self.tokenPrefix), token.utf8.count == Self.tokenPrefix.utf8.count + 64 else { return nil }
        let now = clock.now()
        let hash = Self.sha256(token)
        if let cached = recent.lookup(hash, now: now, within: settings.recheckInterval) { return cached.identity }
        let generation = recent.generation
        guard let record = try await repository.token(hash: hash), record.revokedAt == nil, now < record.expiresAt else { return nil }
        guard let user = try await repository.user(id: record.userID), !user.disabled else { return nil }
        guard try await repository.grants(userID: user.id).contains(record.grant) else { return nil }
        if record.lastUsedAt.map({ now.timeIntervalSince($0) >= settings.touchInterval }) ?? true {
            try await repository.markTokenUsed(id: record.id, at: now, event: AuthEvent(at: now, kind: "token.used", login: user.login, address: address,
                                                                                           detail: "令牌 \(record.id)（\(record.name)）"))
        }
        let identity = Identity(user: user, grants: [record.grant], method: .token(id: record.id))
        recent.store(hash, identity: identity, session: nil, expiresAt: record.expiresAt, now: now, generation: generation)
        return identity
    }

    // MARK: administration

    /// The first administrator (`yingji admin init`); refused once one exists.
    public func initialAdministrator(login: String, name: String, password: String) async throws -> UserAccount {
        guard try await !repository.administratorExists() else {
            throw APIError(.conflict, "account.admin_exists", "已有管理员账号；请用管理员账号添加其他用户（yingji user add）")
        }
        return try await addUser(login: login, name: name, password: password,
                                 grants: [RoleGrant(role: .administrator, jurisdictionID: JurisdictionTree.everywhere)], by: "yingji admin init")
    }

    /// Adds an account. `passwordHash` (a bcrypt hash made earlier) skips hashing: the demo's many
    /// accounts share one password and are not hashed one by one.
    public func addUser(login: String, name: String, password: String, grants: [RoleGrant], by actor: String,
                        passwordHash: String? = nil) async throws -> UserAccount {
        let login = login.trimmingCharacters(in: .whitespaces).lowercased()
        guard NameRule.login.matches(login) else {
            throw APIError(.unprocessableContent, "account.invalid_login", "登录名须为 2–32 个小写字母、数字、点、下划线或连字符，以字母或数字开头", field: "login")
        }
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 50, !name.contains(where: \.isNewline) else {
            throw APIError(.unprocessableContent, "account.invalid_name", "姓名须为 1–50 个字符", field: "name")
        }
        if let problem = PasswordPolicy.problem(password, login: login) {
            throw APIError(.unprocessableContent, "account.weak_password", problem, field: "password")
        }
        try await validate(grants)
        let now = clock.now()
        let hash: String
        if let passwordHash { hash = passwordHash } else { hash = try await hasher.hash(password) }
        let user = UserAccount(id: ids.next("usr"), login: login, name: name, passwordHash: hash, createdAt: now)
        do {
            try await repository.insert(user, grants: grants, event: AuthEvent(at: now, kind: "user.added", login: login, address: nil,
                                                                               detail: "\(actor) 添加账号，角色：\(Self.describe(grants))"))
        } catch AccountError.loginTaken {
            throw APIError(.conflict, "account.login_taken", "登录名「\(login)」已被使用", field: "login")
        }
        return user
    }

    public func changePassword(login: String, password: String, by actor: String) async throws {
        var user = try await existing(login)
        if let problem = PasswordPolicy.problem(password, login: user.login) {
            throw APIError(.unprocessableContent, "account.weak_password", problem, field: "password")
        }
        let now = clock.now()
        user.passwordHash = try await hasher.hash(password)
        user.passwordChangedAt = now
        try await repository.update(user, event: AuthEvent(at: now, kind: "user.password", login: user.login, address: nil, detail: "\(actor) 修改密码"))
        try await repository.deleteSessions(userID: user.id)
        recent.removeAll()
    }

    /// Disables (or re-enables) an account; disabling ends its sessions and stops its tokens.
    public func setDisabled(login: String, _ disabled: Bool, by actor: String) async throws {
        var user = try await existing(login)
        user.disabled = disabled
        try await repository.update(user, event: AuthEvent(at: clock.now(), kind: disabled ? "user.disabled" : "user.enabled", login: user.login,
                                                           address: nil, detail: "\(actor) \(disabled ? "停用" : "启用")账号"))
        if disabled { try await repository.deleteSessions(userID: user.id) }
        recent.removeAll()
    }

    public func setGrants(login: String, _ grants: [RoleGrant], by actor: String) async throws {
        let user = try await existing(login)
        try await validate(grants)
        let before = try await repository.grants(userID: user.id)
        try await repository.setGrants(userID: user.id, grants, event: AuthEvent(at: clock.now(), kind: "user.roles", login: user.login, address: nil,
                                                                                  detail: "\(actor) 修改角色：\(Self.describe(before)) → \(Self.describe(grants))"))
        recent.removeAll()
    }

    /// Makes a token for one of the account's grants; returns the secret (shown once) and the record.
    public func createToken(login: String, grant: RoleGrant, name: String, days: Int?, by actor: String) async throws -> (secret: String, record: APITokenRecord) {
        let user = try await existing(login)
        guard try await repository.grants(userID: user.id).contains(grant) else {
            throw APIError(.unprocessableContent, "token.grant_not_held", "账号「\(user.login)」没有角色 \(grant.text)，令牌只能使用账号已有的角色", field: "grant")
        }
        let days = days ?? settings.tokenDays
        guard (1...366).contains(days) else { throw APIError(.unprocessableContent, "token.invalid_days", "有效期须为 1–366 天", field: "days") }
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 100 else { throw APIError(.unprocessableContent, "token.invalid_name", "令牌名称须为 1–100 个字符", field: "name") }
        let now = clock.now()
        let secret = Self.tokenPrefix + Self.randomHex(32)
        let record = APITokenRecord(id: ids.next("tok"), userID: user.id, name: name, tokenHash: Self.sha256(secret), grant: grant, createdAt: now,
                                    expiresAt: now.addingTimeInterval(TimeInterval(days) * 86_400))
        try await repository.insert(record, event: AuthEvent(at: now, kind: "token.created", login: user.login, address: nil,
                                                             detail: "\(actor) 创建令牌 \(record.id)（\(name)，\(grant.text)，\(days) 天）"))
        return (secret, record)
    }

    public func revokeToken(id: String, by actor: String) async throws {
        let now = clock.now()
        guard try await repository.revokeToken(id: id, at: now, event: AuthEvent(at: now, kind: "token.revoked", login: nil, address: nil, detail: "\(actor) 撤销令牌 \(id)")) else {
            throw APIError(.notFound, "token.not_found", "没有未撤销的令牌 \(id)", field: "id")
        }
        recent.removeAll()
    }

    /// Registers a member department or production unit in a jurisdiction.
    public func addOrganisation(_ organisation: Organisation) async throws {
        guard NameRule.organisation.matches(organisation.id) else {
            throw APIError(.unprocessableContent, "organisation.invalid_id", "单位标识须为小写字母、数字、点、下划线或连字符（最多 63 个字符）", field: "id")
        }
        guard !organisation.name.trimmingCharacters(in: .whitespaces).isEmpty, organisation.name.count <= 100 else {
            throw APIError(.unprocessableContent, "organisation.invalid_name", "单位名称须为 1–100 个字符", field: "name")
        }
        guard tree().contains(organisation.jurisdictionID) else {
            throw APIError(.unprocessableContent, "organisation.unknown_jurisdiction", "没有辖区「\(organisation.jurisdictionID)」", field: "jurisdiction")
        }
        guard try await !repository.organisations().contains(where: { $0.id == organisation.id }) else {
            throw APIError(.conflict, "organisation.exists", "单位标识「\(organisation.id)」已存在", field: "id")
        }
        try await repository.insert(organisation)
    }

    public func existing(_ login: String) async throws -> UserAccount {
        let login = login.trimmingCharacters(in: .whitespaces).lowercased()
        guard let user = try await repository.user(login: login) else {
            throw APIError(.notFound, "account.not_found", "没有账号「\(login)」", field: "login")
        }
        return user
    }

    /// Grants must name a real jurisdiction (or `*` for administrators), and unit-bound roles a
    /// real organisation of the right kind inside that jurisdiction.
    func validate(_ grants: [RoleGrant]) async throws {
        let tree = self.tree()
        var organisations: [String: Organisation]?
        for grant in grants {
            if grant.jurisdictionID == JurisdictionTree.everywhere {
                guard grant.role == .administrator else {
                    throw APIError(.unprocessableContent, "account.invalid_grant", "只有管理员角色可以授予全部辖区（*）；\(grant.text) 须写明辖区", field: "grants")
                }
            } else if !tree.contains(grant.jurisdictionID) {
                throw APIError(.unprocessableContent, "account.unknown_jurisdiction", "\(grant.text)：没有辖区「\(grant.jurisdictionID)」", field: "grants")
            }
            let needs: Organisation.Kind? = grant.role == .enterpriseReporter ? .enterprise : grant.role == .memberLiaison ? .memberUnit : nil
            guard let needs else {
                if grant.organisationID != nil {
                    throw APIError(.unprocessableContent, "account.invalid_grant", "\(grant.text)：\(grant.role.chineseName)不属于某个单位，请去掉 /单位", field: "grants")
                }
                continue
            }
            if organisations == nil { organisations = Dictionary(try await repository.organisations().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }) }
            guard let id = grant.organisationID, let organisation = organisations?[id] else {
                throw APIError(.unprocessableContent, "account.unknown_organisation", "\(grant.text)：\(grant.role.chineseName)须写明所属单位（角色@辖区/单位标识），且单位须已登记", field: "grants")
            }
            guard organisation.kind == needs, tree.isWithin(organisation.jurisdictionID, grant.jurisdictionID) else {
                let kind = needs == .enterprise ? "生产经营单位" : "成员单位"
                throw APIError(.unprocessableContent, "account.invalid_grant", "\(grant.text)：「\(organisation.name)」须是该辖区内的\(kind)", field: "grants")
            }
        }
    }

    // MARK: helpers

    static let challenge: HTTPFields = [.wwwAuthenticate: #"Bearer realm="yingji""#]

    static func locked(until: Date, now: Date, what: String) -> APIError {
        let text = Timestamp.format(until).prefix(16).replacingOccurrences(of: "T", with: " ")
        let seconds = max(1, Int(until.timeIntervalSince(now).rounded(.up)))
        return APIError(.tooManyRequests, "session.locked", "登录失败次数过多，\(what)已暂时锁定，请于 \(text)（北京时间）后再试，或联系管理员",
                        headers: [.retryAfter: "\(seconds)"])
    }

    /// When the oldest failure that keeps the count at the limit leaves the window; nil when not locked now.
    func lockedUntil(_ failures: [Date], limit: Int, now: Date) -> Date? {
        guard failures.count >= limit else { return nil }
        let until = failures.sorted()[failures.count - limit].addingTimeInterval(settings.failureWindow)
        return until > now ? until : nil
    }

    static func describe(_ grants: [RoleGrant]) -> String {
        grants.isEmpty ? "无" : grants.map(\.text).joined(separator: "、")
    }

    public static func sha256(_ text: String) -> String {
        var text = text
        return text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }.withUnsafeBytes { hexString($0) }
    }

    /// Hex of `count` bytes from the system's cryptographic generator.
    static func randomHex(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return hexString((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}

/// A bcrypt hash of a random string nobody knows, made on first need at the configured cost.
final class DecoyHash: @unchecked Sendable {
    private let lock = NSLock()
    private var made: String?

    func hash(using hasher: PasswordHasher) async throws -> String {
        if let made = lock.withLock({ made }) { return made }
        let hash = try await hasher.hash(AccountService.randomHex(16))
        lock.withLock { made = hash }
        return hash
    }
}

/// Sessions and tokens checked moments ago, so a busy board does not cost three lookups per
/// request. Entries live `recheckInterval` seconds and never past the session's or token's end.
final class IdentityCache: @unchecked Sendable {
    struct Entry {
        let identity: Identity
        let session: SessionRecord?
        let expiresAt: Date
        let checkedAt: Date
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private let capacity = 10_000
    private var removals = 0

    /// Changes whenever something is removed. A check that read the database before a logout or
    /// revocation must not put its (now stale) answer back: it notes this first and `store`
    /// drops the answer when it has changed.
    var generation: Int { lock.withLock { removals } }

    func lookup(_ hash: String, now: Date, within interval: TimeInterval) -> Entry? {
        lock.withLock {
            guard let entry = entries[hash] else { return nil }
            guard now < entry.expiresAt, abs(now.timeIntervalSince(entry.checkedAt)) < interval else {
                entries.removeValue(forKey: hash)
                return nil
            }
            return entry
        }
    }

    func store(_ hash: String, identity: Identity, session: SessionRecord?, expiresAt: Date, now: Date, generation: Int) {
        lock.withLock {
            guard generation == removals else { return }
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[hash] = Entry(identity: identity, session: session, expiresAt: expiresAt, checkedAt: now)
        }
    }

    func remove(_ hash: String) {
        lock.withLock {
            removals += 1
            entries.removeValue(forKey: hash)
        }
    }

    func removeAll() {
        lock.withLock {
            removals += 1
            entries.removeAll()
        }
    }
}

/// Logins being checked now (bcrypt takes a while), by login and by address.
final class AttemptCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var byLogin: [String: Int] = [:]
    private var byAddress: [String: Int] = [:]

    /// Counts one more attempt; returns how many others were running for the login and the address.
    func begin(login: String, address: String) -> (login: Int, address: Int) {
        lock.withLock {
            let others = (byLogin[login, default: 0], byAddress[address, default: 0])
            byLogin[login, default: 0] += 1
            byAddress[address, default: 0] += 1
            return others
        }
    }

    func end(login: String, address: String) {
        lock.withLock {
            byLogin[login] = byLogin[login].flatMap { $0 > 1 ? $0 - 1 : nil }
            byAddress[address] = byAddress[address].flatMap { $0 > 1 ? $0 - 1 : nil }
        }
    }
}
