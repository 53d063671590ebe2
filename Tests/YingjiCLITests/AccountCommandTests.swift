import Foundation
import Testing
import YingjiCore
import YingjiStore
import YingjiTestSupport

/// `yingji admin init`, `user …`, `token …`, `org …` on a SQLite file made by `serve`.
@Suite struct AccountCommandTests {
    /// A database with the schema and one jurisdiction (as `serve` would leave it).
    static func emptyDatabase() async throws -> String {
        let db = Scratch.path("accounts")
        let store = try await Store.open(path: db)
        try await store.jurisdictions.insert(RegisteredJurisdiction(id: "kunyu", name: "第十四师昆玉市", parentID: nil, planID: "kunyu"))
        try await store.close()
        return db
    }

    @Test func adminInitOnceThenUsersRolesAndPasswords() async throws {
        let db = try await Self.emptyDatabase()
        var result = try CLI.run(["admin", "init", "--db", db, "--login", "root"], input: "short\n")
        #expect(result.status == 2)
        #expect(result.stderr.contains("密码：密码至少 10 个字符"))
        result = try CLI.run(["admin", "init", "--db", db, "--login", "root"], input: "Admin-pass-2026\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("已创建管理员 root"))
        result = try CLI.run(["admin", "init", "--db", db, "--login", "root2"], input: "Admin-pass-2026\n")
        #expect(result.status == 2)
        #expect(result.stderr.contains("已有管理员账号"))

        result = try CLI.run(["org", "add", "--db", db, "--id", "chem", "--name", "某化工公司", "--kind", "enterprise", "--jurisdiction", "kunyu"])
        #expect(result.status == 0, "\(result.stderr)")
        result = try CLI.run(["user", "add", "--db", db, "--login", "zhang", "--name", "张三", "--role", "duty-officer@kunyu"], input: "Duty-desk-0301\n")
        #expect(result.status == 0, "\(result.stderr)")
        // Bad grants name the option: unknown role, unknown jurisdiction, a reporter without a unit.
        result = try CLI.run(["user", "add", "--db", db, "--login", "li", "--name", "李四", "--role", "chief@kunyu"], input: "Duty-desk-0301\n")
        #expect(result.status == 2)
        #expect(result.stderr.contains("--role：「chief@kunyu」"))
        result = try CLI.run(["user", "add", "--db", db, "--login", "li", "--name", "李四", "--role", "viewer@nowhere"], input: "Duty-desk-0301\n")
        #expect(result.stderr.contains("--role：viewer@nowhere：没有辖区「nowhere」"))
        result = try CLI.run(["user", "add", "--db", db, "--login", "li", "--name", "李四", "--role", "enterprise-reporter@kunyu"], input: "Duty-desk-0301\n")
        #expect(result.stderr.contains("须写明所属单位"))
        result = try CLI.run(["user", "add", "--db", db, "--login", "zhang", "--name", "重名", "--role", "viewer@kunyu"], input: "Duty-desk-0301\n")
        #expect(result.stderr.contains("--login：登录名「zhang」已被使用"))

        result = try CLI.run(["user", "roles", "--db", db, "--login", "zhang", "--set", "duty-leader@kunyu", "--set", "enterprise-reporter@kunyu/chem"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("duty-leader@kunyu（第十四师昆玉市带班领导）"))
        #expect(result.stdout.contains("enterprise-reporter@kunyu/chem"))
        result = try CLI.run(["user", "passwd", "--db", db, "--login", "zhang"], input: "New-duty-desk-0302\n")
        #expect(result.status == 0, "\(result.stderr)")
        result = try CLI.run(["user", "disable", "--db", db, "--login", "zhang"])
        #expect(result.status == 0)
        let listed = try CLI.run(["user", "list", "--db", db])
        #expect(listed.stdout.contains("zhang\t张三\t已停用\tduty-leader@kunyu"))
        #expect(listed.stdout.contains("root\t系统管理员\t正常\tadministrator@*"))

        // Every change is in the security log, named; no password is.
        let store = try await Store.open(path: db)
        let events = try await store.accounts.events(limit: 100)
        #expect(Set(events.map(\.kind)).isSuperset(of: ["user.added", "user.roles", "user.password", "user.disabled"]))
        #expect(!events.contains { $0.detail.contains("Duty-desk") || $0.detail.contains("Admin-pass") })
        let user = try #require(try await store.accounts.user(login: "zhang"))
        #expect(user.passwordHash.hasPrefix("$2b$") || user.passwordHash.hasPrefix("$2y$") || user.passwordHash.hasPrefix("$2a$"))
        #expect(user.disabled)
        try await store.close()
    }

    @Test func tokensAreShownOnceStoredHashedListedAndRevoked() async throws {
        let db = try await Self.emptyDatabase()
        _ = try CLI.run(["user", "add", "--db", db, "--login", "platform", "--name", "市平台", "--role", "viewer@kunyu"], input: "Machine-client-01\n")
        var result = try CLI.run(["token", "create", "--db", db, "--login", "platform", "--role", "commander@kunyu", "--name", "对接"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--role：账号「platform」没有角色 commander@kunyu"))
        result = try CLI.run(["token", "create", "--db", db, "--login", "platform", "--role", "viewer@kunyu", "--name", "市平台对接", "--days", "30"])
        #expect(result.status == 0, "\(result.stderr)")
        let token = try #require(result.stdout.split(separator: "\n").map(String.init).first { $0.hasPrefix("yj_") })
        let id = try #require(result.stdout.range(of: #"tok_[a-z0-9]+"#, options: .regularExpression).map { String(result.stdout[$0]) })
        var listed = try CLI.run(["token", "list", "--db", db])
        #expect(listed.stdout.contains("\(id)\tplatform\tviewer@kunyu\t市平台对接\t有效至"))
        #expect(!listed.stdout.contains(token))
        result = try CLI.run(["token", "revoke", "--db", db, "--id", id])
        #expect(result.status == 0)
        listed = try CLI.run(["token", "list", "--db", db, "--login", "platform"])
        #expect(listed.stdout.contains("\(id)\tplatform\tviewer@kunyu\t市平台对接\t已撤销"))
        result = try CLI.run(["token", "revoke", "--db", db, "--id", id])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--id：没有未撤销的令牌"))

        // Only the token's SHA-256 is stored; the secret is nowhere in the database file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: db))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: db + "-wal"))) ?? Data()
        #expect(bytes.range(of: Data(token.utf8)) == nil && wal.range(of: Data(token.utf8)) == nil)
        let store = try await Store.open(path: db)
        #expect(try await store.accounts.tokens(userID: nil).first?.revokedAt != nil)
        try await store.close()
    }
}
