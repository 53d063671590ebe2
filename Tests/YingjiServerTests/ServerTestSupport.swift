import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YingjiCore
import YingjiPlans
import YingjiServer
import YingjiStore
import YingjiTestSupport

/// Which engines the API tests run on: SQLite always, PostgreSQL too when `DATABASE_URL` is set (CI).
enum Engine: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres
    var description: String { rawValue }

    static var all: [Engine] {
        (ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "").isEmpty ? [.sqlite] : [.sqlite, .postgres]
    }

    /// A fresh, empty store: a new SQLite file, or a new PostgreSQL schema.
    func openStore() async throws -> Store {
        switch self {
        case .sqlite:
            return try await Store.open(path: Scratch.path("api"))
        case .postgres:
            let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            do {
                return try await Store.open(postgresURL: ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "", schema: schema)
            } catch {
                Issue.record("PostgreSQL store did not open: \(String(reflecting: error))")
                throw error
            }
        }
    }
}

/// A clock the test moves by hand.
final class TestClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Date
    init(_ instant: Date) { self.instant = instant }
    func now() -> Date { lock.withLock { instant } }
    func set(_ date: Date) { lock.withLock { instant = date } }
}

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let planLibrary = PlanLibrary(directory: repositoryRoot.appendingPathComponent("plans"))

/// 2026-03-01 02:10 +08:00, and minutes after it.
let t0 = Timestamp.parse("2026-03-01T02:10:00+08:00")!
func at(_ minutes: Double) -> Date { t0.addingTimeInterval(minutes * 60) }

/// A server on a fresh store with the demo jurisdictions (three seed ones and one area below
/// each), the demo organisations and accounts, each account with an API token the test knows,
/// at a clock the test controls. bcrypt runs at its minimum cost so tests stay fast.
struct TestServer {
    let server: Server
    let clock: TestClock

    /// The accounts most tests need: every role in Kunyu, the areas' duty officers and the administrator.
    static let usualAccounts = Demo.accounts.filter { $0.grant.jurisdictionID == "kunyu" || $0.grant.role == .administrator || $0.login.hasSuffix("-duty-officer") }

    /// `store`: an open store to use instead of a fresh one of `engine`.
    static func start(_ engine: Engine, store given: Store? = nil, clock: TestClock = TestClock(t0), accounts: [Demo.Account] = usualAccounts,
                      settings: AuthSettings = AuthSettings(), testClock: AdjustableClock? = nil, publicURL: String? = nil,
                      dueSoonLead: TimeInterval = Server.defaultDueSoonLead, pages: WebPages? = nil) async throws -> TestServer {
        let store: Store
        if let given { store = given } else { store = try await engine.openStore() }
        do {
            let server = try await Server(store: store, library: planLibrary, clock: clock, testClock: testClock, hasher: PasswordHasher(cost: 4),
                                          authSettings: settings, publicURL: publicURL, dueSoonLead: dueSoonLead, pages: pages)
            for jurisdiction in Demo.all { try await server.catalog.register(jurisdiction) }
            for organisation in Demo.organisations { try await server.accounts.addOrganisation(organisation) }
            let hash = try await server.accounts.hasher.hash(Demo.password)
            for account in accounts {
                let user = try await server.accounts.addUser(login: account.login, name: account.name, password: Demo.password, grants: [account.grant],
                                                             by: "测试", passwordHash: hash)
                let secret = testToken(account.login)
                try await server.store.accounts.insert(
                    APITokenRecord(id: "tok_\(account.login)", userID: user.id, name: "测试令牌", tokenHash: AccountService.sha256(secret), grant: account.grant,
                                   createdAt: clock.now(), expiresAt: clock.now().addingTimeInterval(365 * 86_400)),
                    event: AuthEvent(at: clock.now(), kind: "token.created", login: account.login, address: nil, detail: "测试令牌"))
            }
            return TestServer(server: server, clock: clock)
        } catch {
            Issue.record("test server did not start: \(String(reflecting: error))")
            try? await store.close()
            throw error
        }
    }

    /// Runs `body` against the router (no sockets), then closes the store.
    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: server.router())
        do {
            try await app.test(.router, body)
        } catch {
            try? await server.store.close()
            throw error
        }
        try await server.store.close()
    }
}

/// The API token a test server gives the demo account `login` (made from the login, so tests
/// can name it before the server exists; real tokens are random).
func testToken(_ login: String) -> String { AccountService.tokenPrefix + AccountService.sha256("test-token:" + login) }

/// How the timeline names a demo account.
func actorName(_ login: String) -> String {
    let account = Demo.accounts.first { $0.login == login }!
    return "\(account.name)（\(login)）"
}

/// Headers for a request by the demo account `login` (through its API token; nil: anonymous).
func headers(as login: String? = "kunyu-duty-officer", key: String? = nil) -> HTTPFields {
    var fields = HTTPFields()
    fields[.contentType] = "application/json"
    if let login { fields[.authorization] = "Bearer \(testToken(login))" }
    if let key { fields[HTTPField.Name("Idempotency-Key")!] = key }
    return fields
}

func json(_ value: Any) -> ByteBuffer {
    ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]))
}

/// The body of a response as a JSON object.
func object(_ response: TestResponse) throws -> [String: Any] {
    let parsed = try JSONSerialization.jsonObject(with: Data(buffer: response.body))
    return try #require(parsed as? [String: Any], "not a JSON object: \(String(buffer: response.body))")
}

func errorField(_ response: TestResponse) throws -> (code: String?, field: String?, message: String?) {
    let error = try object(response)["error"] as? [String: Any]
    return (error?["code"] as? String, error?["field"] as? String, error?["message"] as? String)
}

/// A complete 初报 for Kunyu, with every field its plan (5.1.2) requires.
func kunyuReport(deaths: Int = 3, directLoss: Int = 0, knownAt: Date = t0, extra: [String: Any] = [:]) -> [String: Any] {
    var body: [String: Any] = [
        "jurisdiction": "kunyu",
        "knownAt": Timestamp.format(knownAt),
        "occurredAt": Timestamp.format(knownAt.addingTimeInterval(-600)),
        "category": "火灾",
        "figures": ["deaths": deaths, "missing": 0, "seriousInjuries": 1, "directLoss": directLoss],
        "fields": [
            "unit": "昆玉市某化工有限公司", "place": "工业园区 3 号罐区", "course": "检修时闪爆起火", "scope": "罐区",
            "rescueStatus": "消防队灭火中", "trend": "可控", "measures": "切断进料，疏散 200 人",
        ],
    ]
    body.merge(extra) { _, new in new }
    return body
}

/// Creates an incident and returns its detail.
@discardableResult
func create(_ client: some TestClientProtocol, _ body: [String: Any] = kunyuReport(), as login: String = "kunyu-duty-officer") async throws -> [String: Any] {
    let response = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(as: login), body: json(body))
    #expect(response.status == .created, "\(String(buffer: response.body))")
    return try object(response)
}

/// A transition, by the Kunyu commander unless told otherwise.
func transition(_ client: some TestClientProtocol, _ id: String, _ body: [String: Any], as login: String = "kunyu-commander") async throws -> TestResponse {
    try await client.execute(uri: "/api/v1/incidents/\(id)/transitions", method: .post, headers: headers(as: login), body: json(body))
}

/// A GET as `login`.
func get(_ client: some TestClientProtocol, _ uri: String, as login: String? = "kunyu-duty-officer") async throws -> TestResponse {
    try await client.execute(uri: uri, method: .get, headers: headers(as: login))
}

/// The token with its first character changed (never equal to it, whatever it starts with).
func tampered(_ token: String) -> String {
    (token.first == "0" ? "1" : "0") + token.dropFirst()
}
