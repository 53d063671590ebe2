import ArgumentParser
import Foundation
import YingjiCore
import YingjiServer
import YingjiStore

/// Opens the store and the account service for one administrative command, and turns refusals
/// into one-line Chinese errors naming the field.
struct AccountTool {
    let store: Store
    let accounts: AccountService
    let catalog: JurisdictionCatalog

    /// Who the security log names for changes made here.
    static var actor: String { "命令行（\(ProcessInfo.processInfo.environment["USER"] ?? "未知用户")）" }

    static func run<T>(db: String, _ body: (AccountTool) async throws -> T) async throws -> T {
        let store = try await StoreOpening.open(db: db, mustExist: true)
        do {
            let catalog = JurisdictionCatalog(library: try PlanLoading.library(), repository: store.jurisdictions)
            try await catalog.load()
            let accounts = AccountService(repository: store.accounts, hasher: PasswordHasher(), clock: SystemClock(), ids: RandomIDGenerator(),
                                          tree: { catalog.tree })
            let result = try await body(AccountTool(store: store, accounts: accounts, catalog: catalog))
            try await store.close()
            return result
        } catch let error as APIError {
            try? await store.close()
            let option = error.field.map { $0 == "password" ? "密码：" : "--\(Self.optionName($0))：" } ?? ""
            throw CLIError("\(option)\(error.message)")
        } catch {
            try? await store.close()
            throw error
        }
    }

    static func optionName(_ field: String) -> String {
        switch field {
        case "grants", "grant": return "role"
        case "jurisdiction": return "jurisdiction"
        default: return field
        }
    }

    /// A password from the terminal (asked twice) or, when piped, the first line of standard input.
    /// Never an argument: those end up in shell history and process lists.
    static func readPassword() throws -> String {
        if isatty(STDIN_FILENO) == 1 {
            guard let first = getpass("密码：").map({ String(cString: $0) }), let second = getpass("再次输入密码：").map({ String(cString: $0) }) else {
                throw CLIError("密码：未能读取")
            }
            guard first == second else { throw CLIError("密码：两次输入不一致") }
            return first
        }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw CLIError("密码：请从标准输入提供密码（一行），例如 printf '%s\\n' \"$PASSWORD\" | yingji …")
        }
        return line
    }

    static func grants(_ texts: [String]) throws -> [RoleGrant] {
        try texts.map { text in
            guard let grant = RoleGrant(text: text) else {
                throw CLIError("--role：「\(text)」应写作 角色@辖区 或 角色@辖区/单位，角色可选：\(UserRole.allCases.map(\.rawValue).joined(separator: "、"))")
            }
            return grant
        }
    }

    func describe(_ grant: RoleGrant) -> String {
        let place = grant.jurisdictionID == JurisdictionTree.everywhere ? "全部辖区" : (catalog.jurisdiction(grant.jurisdictionID)?.name ?? grant.jurisdictionID)
        return "\(grant.text)（\(place)\(grant.role.chineseName)）"
    }
}

struct AdminCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "admin", abstract: "系统初始化。", subcommands: [Init.self])

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "init", abstract: "创建第一个管理员账号（已有管理员时拒绝）。密码从标准输入读取。")
        @Option(name: .long, help: "SQLite 数据库文件。") var db = "yingji.sqlite"
        @Option(name: .long, help: "登录名。") var login = "admin"
        @Option(name: .long, help: "姓名。") var name = "系统管理员"

        func run() async throws {
            let password = try AccountTool.readPassword()
            let user = try await AccountTool.run(db: db) { tool in
                try await tool.accounts.initialAdministrator(login: login, name: name, password: password)
            }
            print("已创建管理员 \(user.login)（\(user.name)），可管理全部辖区的账号与令牌")
        }
    }
}

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "管理用户账号。",
                                                    subcommands: [Add.self, Passwd.self, Disable.self, Enable.self, Roles.self, List.self])

    static func setDisabled(db: String, login: String, _ disabled: Bool) async throws {
        try await AccountTool.run(db: db) { try await $0.accounts.setDisabled(login: login, disabled, by: AccountTool.actor) }
        print("已\(disabled ? "停用" : "启用") \(login)")
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "添加账号。密码从标准输入读取。")
        @Option(name: .long, help: "SQLite 数据库文件。") var db = "yingji.sqlite"
        @Option(name: .long, help: "登录名（小写字母、数字、.-_）。") var login: String
        @Option(name: .long, help: "姓名。") var name: String
        @Option(name: .long, help: "角色@辖区[/单位]，可重复，如 duty-officer@kunyu。") var role: [String] = []

        func run() async throws {
            let grants = try AccountTool.grants(role)
            let password = try AccountTool.readPassword()
            let user = try await AccountTool.run(db: db) { tool in
                try await tool.accounts.addUser(login: login, name: name, password: password, grants: grants, by: AccountTool.actor)
            }
            print("已添加账号 \(user.login)（\(user.name)），角色：\(grants.isEmpty ? "无" : grants.map(\.text).joined(separator: "、"))")
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "passwd", abstract: "修改密码（该账号的所有登录会话随即失效）。密码从标准输入读取。")
        @Option(name: .long, help: "SQLite 数据库文件。") var db = "yingji.sqlite"
        @Option(name: .long, help: "登录名。") var login: String

        func run() async throws {
            let password = try AccountTool.readPassword()
            try await AccountTool.run(db: db) { try await $0.accounts.changePassword(login: login, password: password, by: AccountTool.actor) }
            print("已修改 \(login) 的密码，原有登录会话已失效")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "disable", abstract: "停用账号：会话立即失效，令牌不再可用。")
        @Option(name: .long, help: "SQLite 数据库文件。") var db = "yingji.sqlite"
        @Option(name: .long, help: "登录名。") var login: String

        func run() async throws { try await UserCommand.setDisabled(db: db, login: login, true) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "enable", abstract: "重新启用账号。")
        @Option(name: .long, help: "SQLite 数据库文件。") var db = "yingji.sqlite"
        @Option(name: .long, help: "登录名。") var login: String

        func run() async throws { try await UserCommand.setDisabled(db: db, login: login, false) }
    }

    struct Roles: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "roles", abstract: "查看角色；给出 --set 时整体替换为这些角色（--clear 清空）。")
        @Option(name: .long, help: "SQLite 数据库文件。") var db = "yingji.sqlite"
        @Option(name: .long, help: "登录名。") var login: String
        @Option(name: .long, help: "角色@辖区[/单位]，可重复。") var set: [String] = []
        @Flag(name: .long, help: "去掉全部角色。") var clear = false

        func run() async throws {
            let grants = try AccountTool.grants(set)
            let lines = try await AccountTool.run(db: db) { tool -> [String] in
                let user = try await tool.accounts.existing(login)
                if !grants.isEmpty || clear {
                    try await tool.accounts.setGrants(login: user.login, grants, by: AccountTool.actor)
                }
                return try await tool.store.accounts.grants(userID: user.id).map(tool.describe)
            }
            print("\(login) 的角色：" + (lines.isEmpty ? "无" : "\n  " + lines.joined(separator: "\n  ")))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "列出账号及其角色。")
        @Option(name: .long, help: "SQLite 数据库文件。") var db = "yingji.sqlite"

        func run() async throws {
            let lines = try await AccountTool.run(db: db) { tool -> [String] in
                var lines: [String] = []
                for user in try await tool.store.accounts.users().sorted(by: { $0.login < $1.login }) {
                    let grants = try await tool.store.accounts.grants(userID: user.id).map(\.text).joined(separator: "、")
                    lines.append("\(user.login)\t\(user.name)\t\(user.disabled ? "已停用" : "正常")\t\(grants.isEmpty ? "无角色" : grants)")
                }
                return lines
            }
            print(lines.isEmpty ? "没有账号；先运行 yingji admin init" : lines.joined(separator: "\n"))
        }
    }
}

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "管理机器接入用的 API 令牌。",
                                                    subcommands: [Create.self, Revoke.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "为账号的一个角色创建令牌；令牌只显示这一次，库中只存其哈希。")
        @Option(name: .long, help: "SQLite 数据库文件。") var db = "yingji.sqlite"
        @Option(name: .long, help: "账号登录名。") var login: String
        @Option(name: .long, help: "令牌代表的角色@辖区[/单位]（账号须已有该角色）。") var role: String
        @Option(name: .long, help: "用途说明，如「市平台对接」。") var name: String
        @Option(name: .long, help: "有效天数（1–366，默认 90）。") var days: Int?
        @Flag(name: .long, help: "只输出令牌本身（供脚本读取）。") var quiet = false

        func run() async throws {
            guard let grant = try AccountTool.grants([role]).first else { throw CLIError("--role：须写明角色") }
            let (secret, record) = try await AccountTool.run(db: db) { tool in
                try await tool.accounts.createToken(login: login, grant: grant, name: name, days: days, by: AccountTool.actor)
            }
            if quiet {
                print(secret)
            } else {
                print("令牌 \(record.id)（\(record.name)，\(grant.text)），有效期至 \(Timestamp.format(record.expiresAt))：")
                print(secret)
                print("令牌只显示这一次，请立即妥善保存；请求时加请求头 Authorization: Bearer <令牌>")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "撤销令牌，立即生效。")
        @Option(name: .long, help: "SQLite 数据库文件。") var db = "yingji.sqlite"
        @Option(name: .long, help: "令牌编号（tok_…，见 token list）。") var id: String

        func run() async throws {
            try await AccountTool.run(db: db) { try await $0.accounts.revokeToken(id: id, by: AccountTool.actor) }
            print("已撤销令牌 \(id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "列出令牌（不显示令牌本身）。")
        @Option(name: .long, help: "SQLite 数据库文件。") var db = "yingji.sqlite"
        @Option(name: .long, help: "只列这个账号的。") var login: String?

        func run() async throws {
            let lines = try await AccountTool.run(db: db) { tool -> [String] in
                var userID: String?
                if let login { userID = try await tool.accounts.existing(login).id }
                let logins = Dictionary(try await tool.store.accounts.users().map { ($0.id, $0.login) }, uniquingKeysWith: { a, _ in a })
                let now = Date()
                return try await tool.store.accounts.tokens(userID: userID).map { token in
                    let state = token.revokedAt != nil ? "已撤销" : token.expiresAt <= now ? "已过期" : "有效至 \(Timestamp.format(token.expiresAt))"
                    let used = token.lastUsedAt.map { "最近使用 \(Timestamp.format($0))" } ?? "未使用"
                    return "\(token.id)\t\(logins[token.userID] ?? token.userID)\t\(token.grant.text)\t\(token.name)\t\(state)\t\(used)"
                }
            }
            print(lines.isEmpty ? "没有令牌" : lines.joined(separator: "\n"))
        }
    }
}

struct OrgCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "org", abstract: "登记成员单位和生产经营单位。", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "登记单位。")
        @Option(name: .long, help: "SQLite 数据库文件。") var db = "yingji.sqlite"
        @Option(name: .long, help: "单位标识（小写字母、数字、.-_）。") var id: String
        @Option(name: .long, help: "单位名称。") var name: String
        @Option(name: .long, help: "member-unit（成员单位）或 enterprise（生产经营单位）。") var kind: String
        @Option(name: .long, help: "所在辖区。") var jurisdiction: String

        func run() async throws {
            guard let kind = Organisation.Kind(rawValue: kind) else { throw CLIError("--kind：须为 member-unit 或 enterprise") }
            try await AccountTool.run(db: db) {
                try await $0.accounts.addOrganisation(Organisation(id: id, name: name, kind: kind, jurisdictionID: jurisdiction))
            }
            print("已登记 \(id)（\(name)）")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "列出单位。")
        @Option(name: .long, help: "SQLite 数据库文件。") var db = "yingji.sqlite"

        func run() async throws {
            let lines = try await AccountTool.run(db: db) { tool in
                try await tool.store.accounts.organisations().map { "\($0.id)\t\($0.name)\t\($0.kind.rawValue)\t\($0.jurisdictionID)" }
            }
            print(lines.isEmpty ? "没有登记单位" : lines.joined(separator: "\n"))
        }
    }
}
