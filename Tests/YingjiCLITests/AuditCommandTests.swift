import Foundation
import SQLKit
import Testing
import YingjiCore
import YingjiPlans
@testable import YingjiStore

@Suite struct AuditCommandTests {
    struct Catalog: PlanCatalog {
        let plan: Plan
        func plan(forJurisdiction jurisdiction: String) -> Plan? { plan }
    }

    struct IDs: IDGenerator {
        func next(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.lowercased())" }
    }

    /// A SQLite file with one Lhasa incident and its timeline.
    func database() async throws -> (path: String, incident: String, store: Store) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).sqlite").path
        let store = try await Store.open(path: path)
        let plan = try PlanLibrary(directory: CLI.root.appendingPathComponent("plans")).load("bachu")
        let service = IncidentService(repository: store.incidents, plans: Catalog(plan: plan), clock: SystemClock(), ids: IDs(), hasher: SHA256ChainHasher())
        let draft = ReportDraft(kind: .initial, fields: ["place": "某镇", "course": "起火", "scope": "厂房", "rescueStatus": "扑救中", "measures": "疏散"],
                                figures: [.deaths: 1, .missing: 0, .seriousInjuries: 0], category: "火灾", occurredAt: Date().addingTimeInterval(-600))
        let incident = try await service.report(jurisdiction: "bachu", draft, actor: "值班员")
        _ = try await service.apply(incident.id, .verify(note: "已核实"), expectedVersion: 1, actor: "值班员")
        return (path, incident.id, store)
    }

    @Test func anIntactDatabaseVerifies() async throws {
        let (path, _, store) = try await database()
        try await store.close()
        let result = try CLI.run(["audit", "verify", "--db", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("核验 1 起事故：记录链全部完整"))
    }

    @Test func aRowChangedByHandIsNamed() async throws {
        let (path, incident, store) = try await database()
        try await store.incidents.database.raw("DROP TRIGGER timeline_no_update").run()
        try await store.incidents.database.raw("UPDATE timeline SET actor = '别人' WHERE incident_id = \(bind: incident) AND sequence = 2").run()
        try await store.close()
        let result = try CLI.run(["audit", "verify", "--db", path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("断点：事故 \(incident) 的第 2 条记录：内容与哈希不符，本条记录被修改"))
    }
}
