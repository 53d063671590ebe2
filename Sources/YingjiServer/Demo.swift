import Foundation
import YingjiCore

/// `serve --demo`: on an empty database, the three seed jurisdictions bound to their plans (each
/// with one subordinate area under the same plan), a member department and an enterprise in
/// each, a demo account for every role in each seed jurisdiction, and one sample incident, so a
/// newcomer sees a working board at once and can sign in as anyone.
public enum Demo {
    /// The levels above the seed jurisdictions. Their own plans are not among the seeds, so they
    /// have none here: they oversee the incidents below (reports go up, command can be handed
    /// over) and accidents are reported where they happened.
    public static let parents = [
        RegisteredJurisdiction(id: "bingtuan", name: "新疆生产建设兵团", parentID: nil, planID: nil),
        RegisteredJurisdiction(id: "kashgar", name: "喀什地区", parentID: nil, planID: nil),
        RegisteredJurisdiction(id: "xizang", name: "西藏自治区", parentID: nil, planID: nil),
    ]

    public static let jurisdictions = [
        RegisteredJurisdiction(id: "kunyu", name: "第十四师昆玉市", parentID: "bingtuan", planID: "kunyu"),
        RegisteredJurisdiction(id: "bachu", name: "巴楚县", parentID: "kashgar", planID: "bachu"),
        RegisteredJurisdiction(id: "lhasa", name: "拉萨市", parentID: "xizang", planID: "lhasa"),
    ]

    /// Every demo jurisdiction, parents first.
    public static var all: [RegisteredJurisdiction] { parents + jurisdictions + subordinate }

    /// One area below each seed jurisdiction, governed by the same plan (团场 under the 师市, 镇
    /// under the 县, 区 under the 市).
    public static let subordinate = [
        RegisteredJurisdiction(id: "kunyu-224", name: "第十四师二二四团", parentID: "kunyu", planID: "kunyu"),
        RegisteredJurisdiction(id: "bachu-sebiya", name: "巴楚县色力布亚镇", parentID: "bachu", planID: "bachu"),
        RegisteredJurisdiction(id: "lhasa-chengguan", name: "拉萨市城关区", parentID: "lhasa", planID: "lhasa"),
    ]

    /// An enterprise and a member department in each seed jurisdiction (demo names, not real units).
    public static let organisations = [
        Organisation(id: "kunyu-chem", name: "昆玉市某化工有限公司（演示）", kind: .enterprise, jurisdictionID: "kunyu"),
        Organisation(id: "kunyu-police", name: "第十四师昆玉市公安局", kind: .memberUnit, jurisdictionID: "kunyu"),
        Organisation(id: "bachu-mine", name: "巴楚县某矿业有限公司（演示）", kind: .enterprise, jurisdictionID: "bachu"),
        Organisation(id: "bachu-police", name: "巴楚县公安局", kind: .memberUnit, jurisdictionID: "bachu"),
        Organisation(id: "lhasa-build", name: "拉萨市某建筑工程有限公司（演示）", kind: .enterprise, jurisdictionID: "lhasa"),
        Organisation(id: "lhasa-police", name: "拉萨市公安局", kind: .memberUnit, jurisdictionID: "lhasa"),
    ]

    /// The one password of every demo account (printed at start; a demo database only).
    public static let password = "Yingji-demo-2026"
    /// Its bcrypt hash (cost 12), made once so starting the demo does not spend a quarter second
    /// hashing a password everyone knows. `demoSeedsAnEmptyDatabaseOnly` signs in with it.
    static let passwordHash = "$2b$12$GsAo/Z/ofzPVi3jUpC27FeSvX7/Z2oJ2.HHbV0yitX8t3uKet3Grq"

    /// A demo account: `<jurisdiction>-<role>` holding that role there (unit-bound roles for the
    /// jurisdiction's demo enterprise or police), plus `admin` over everything.
    public struct Account: Sendable {
        public let login: String
        public let name: String
        public let grant: RoleGrant

        public init(login: String, name: String, grant: RoleGrant) {
            self.login = login
            self.name = name
            self.grant = grant
        }
    }

    public static var accounts: [Account] {
        var result = [Account(login: "admin", name: "系统管理员（演示）", grant: RoleGrant(role: .administrator, jurisdictionID: JurisdictionTree.everywhere))]
        for jurisdiction in jurisdictions {
            for role in UserRole.allCases where role != .administrator {
                let unit: String? = role == .enterpriseReporter ? organisations.first { $0.jurisdictionID == jurisdiction.id && $0.kind == .enterprise }?.id
                    : role == .memberLiaison ? organisations.first { $0.jurisdictionID == jurisdiction.id && $0.kind == .memberUnit }?.id : nil
                result.append(Account(login: "\(jurisdiction.id)-\(role.rawValue)", name: "\(jurisdiction.name)\(role.chineseName)（演示）",
                                      grant: RoleGrant(role: role, jurisdictionID: jurisdiction.id, organisationID: unit)))
            }
        }
        for area in subordinate {
            result.append(Account(login: "\(area.id)-duty-officer", name: "\(area.name)值班员（演示）", grant: RoleGrant(role: .dutyOfficer, jurisdictionID: area.id)))
        }
        for parent in parents {
            for role in [UserRole.dutyOfficer, .commander] {
                result.append(Account(login: "\(parent.id)-\(role.rawValue)", name: "\(parent.name)\(role.chineseName)（演示）",
                                      grant: RoleGrant(role: role, jurisdictionID: parent.id)))
            }
        }
        return result
    }

    /// Seeds only an empty database; returns false (and changes nothing) otherwise.
    @discardableResult
    public static func seed(_ server: Server) async throws -> Bool {
        guard server.catalog.jurisdictions.isEmpty, try await server.store.incidents.incidents(IncidentQuery(limit: 1)).isEmpty else { return false }
        // Each tier at once, so the group-commit writer stores it in one transaction (one fsync,
        // not one per row): the levels above, the seed jurisdictions, the areas below, then the
        // units and accounts that refer to them.
        for tier in [parents, jurisdictions, subordinate] {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for jurisdiction in tier { group.addTask { try await server.catalog.register(jurisdiction) } }
                try await group.waitForAll()
            }
        }
        server.events.tellPeers(PeerMessage.jurisdictionRegistered, ["id": "demo"])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for organisation in organisations { group.addTask { try await server.accounts.addOrganisation(organisation) } }
            try await group.waitForAll()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for account in accounts {
                group.addTask {
                    _ = try await server.accounts.addUser(login: account.login, name: account.name, password: password, grants: [account.grant],
                                                          by: "演示数据", passwordHash: passwordHash)
                }
            }
            try await group.waitForAll()
        }
        let now = server.clock.now()
        let draft = ReportDraft(
            kind: .initial,
            fields: [
                "unit": "昆玉市某化工有限公司（危险化学品生产企业，从业人员 120 人）",
                "place": "昆玉市工业园区化工园 3 号罐区",
                "course": "3 号储罐检修作业时发生闪爆并起火，现场 3 名作业人员死亡、2 人重伤",
                "scope": "罐区东侧围堰内有泄漏液体燃烧，下风向 500 米内厂区受烟气影响",
                "rescueStatus": "园区消防队正在灭火，伤员已送师医院救治",
                "trend": "火势已得到初步控制，相邻 2 号储罐正在冷却",
                "measures": "企业已启动应急预案，切断进料，疏散周边 200 人",
            ],
            figures: [.deaths: 3, .missing: 0, .seriousInjuries: 2, .directLoss: 12_000_000],
            category: "火灾",
            occurredAt: now.addingTimeInterval(-20 * 60)
        )
        let incident = try await server.incidents.report(jurisdiction: "kunyu", draft, knownAt: now.addingTimeInterval(-10 * 60),
                                                         actor: "第十四师昆玉市值班员（演示）（kunyu-duty-officer）",
                                                         parties: IncidentParties(organisationID: "kunyu-chem", involved: ["kunyu-police"]))
        server.events.publish("incident.created", IncidentView.summary(incident), access: incident.access)
        return true
    }
}

extension Demo {
    /// What `serve --demo` prints: the password and every login, grouped by jurisdiction.
    public static var loginSheet: String {
        var lines = ["演示账号（密码均为 \(password)，仅供演示）："]
        let groups = Dictionary(grouping: accounts, by: { $0.grant.jurisdictionID })
        for id in [JurisdictionTree.everywhere] + all.map(\.id) {
            guard let members = groups[id] else { continue }
            let place = id == JurisdictionTree.everywhere ? "全部辖区" : all.first { $0.id == id }?.name ?? id
            lines.append("  \(place)：" + members.map { "\($0.login)（\($0.grant.role.chineseName)）" }.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}
