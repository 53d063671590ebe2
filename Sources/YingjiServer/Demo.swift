import Foundation
import YingjiCore

/// `serve --demo`: on an empty database, the three seed jurisdictions bound to their plans and
/// one sample incident, so a newcomer sees a working board at once.
public enum Demo {
    public static let jurisdictions = [
        RegisteredJurisdiction(id: "kunyu", name: "第十四师昆玉市", parentID: nil, planID: "kunyu"),
        RegisteredJurisdiction(id: "bachu", name: "巴楚县", parentID: nil, planID: "bachu"),
        RegisteredJurisdiction(id: "lhasa", name: "拉萨市", parentID: nil, planID: "lhasa"),
    ]

    /// Seeds only an empty database; returns false (and changes nothing) otherwise.
    @discardableResult
    public static func seed(_ server: Server) async throws -> Bool {
        guard server.catalog.jurisdictions.isEmpty, try await server.store.incidents.incidents(IncidentQuery(limit: 1)).isEmpty else { return false }
        for jurisdiction in jurisdictions { try await server.catalog.register(jurisdiction) }
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
        let incident = try await server.incidents.report(jurisdiction: "kunyu", draft, knownAt: now.addingTimeInterval(-10 * 60), actor: "值班员（演示）")
        await server.events.publish("incident.created", IncidentView.summary(incident))
        return true
    }
}
