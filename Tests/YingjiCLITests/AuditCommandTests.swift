import Foundation
import SQLKit
import Testing
import YingjiCore
import YingjiPlans
@testable import YingjiStore
import YingjiTestSupport

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
        let path = Scratch.path("audit")
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

    func backupPath() -> String {
        Scratch.path("backup")
    }

    @Test func aBackupIsAWholeCopyAndItsChainsAreChecked() async throws {
        let (path, incident, store) = try await database()
        // Taken while the source is open and being written to (as under a running server).
        let target = backupPath()
        let plan = try PlanLibrary(directory: CLI.root.appendingPathComponent("plans")).load("bachu")
        let service = IncidentService(repository: store.incidents, plans: Catalog(plan: plan), clock: SystemClock(), ids: IDs(), hasher: SHA256ChainHasher())
        let writing = Task {
            for _ in 0..<20 { _ = try await service.correct(incident, entry: 1, reason: "核对", correction: "补充", expectedVersion: nil, actor: "值班员") }
        }
        let result = try await Task.detached { try CLI.run(["backup", "--db", path, "--to", target]) }.value
        try await writing.value
        try await store.close()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("已备份到 \(target)：事故 1 起、预警 0 条、记录 "))
        #expect(result.stdout.contains("记录链全部完整"))
        let copy = try await Store.open(path: target)
        #expect(try await copy.incidents.incident(id: incident)?.status == .verified)
        // A snapshot: every entry in the copy is the original's, in order (later ones may follow).
        let original = try await Store.open(path: path)
        let copied = try await copy.incidents.timeline(incidentID: incident)
        #expect(copied.count >= 2)
        #expect(Array(try await original.incidents.timeline(incidentID: incident).prefix(copied.count)) == copied)
        try await copy.close()
        try await original.close()
        // The copy serves as a database of its own: audit verify passes on it.
        #expect(try CLI.run(["audit", "verify", "--db", target]).stdout.contains("核验 1 起事故：记录链全部完整"))
    }

    @Test func aBackupNeverOverwritesAndNamesWhatIsWrong() async throws {
        let (path, _, store) = try await database()
        try await store.close()
        let existing = backupPath()
        try Data("别的文件".utf8).write(to: URL(fileURLWithPath: existing))
        var result = try CLI.run(["backup", "--db", path, "--to", existing])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--to：文件已存在"))
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "别的文件")
        result = try CLI.run(["backup", "--db", path, "--to", "/nonexistent-dir-\(UUID().uuidString)/b.sqlite"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--to：目录不存在"))
        let missing = backupPath()
        result = try CLI.run(["backup", "--db", missing + ".none", "--to", missing])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--db：数据库文件不存在"))
        #expect(!FileManager.default.fileExists(atPath: missing))
        result = try CLI.run(["backup", "--db", path, "--to", Scratch.directory.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("是一个目录"))
        result = try CLI.run(["backup", "--db", path, "--to", ""])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--to：须给出备份文件的路径"))
        // A database of another schema version, or not Yingji's, is refused naming --db; nothing is left at --to.
        let other = try await Store.open(path: path)
        try await other.incidents.database.raw("DELETE FROM yingji_migrations WHERE version = (SELECT MAX(version) FROM yingji_migrations)").run()
        let version = try await other.incidents.database.raw("SELECT MAX(version) AS v FROM yingji_migrations").all().first?.decode(column: "v", as: Int.self)
        try await other.close()
        result = try CLI.run(["backup", "--db", path, "--to", missing])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--db：") && result.stderr.contains("数据库结构为第 \(version ?? -1) 版"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: missing))
        let stranger = backupPath()
        try Data("SQLite format 3\0".utf8).write(to: URL(fileURLWithPath: stranger))
        result = try CLI.run(["backup", "--db", stranger, "--to", missing])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--db：") && (result.stderr.contains("不是 Yingji 的数据库") || result.stderr.contains("无法把")), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: missing))
        result = try CLI.run(["backup", "--db", path, "--to", missing], databaseURL: "postgres://nobody@127.0.0.1:1/none")
        #expect(result.status == 2)
        #expect(result.stderr.contains("DATABASE_URL 已设置") && result.stderr.contains("pg_dump"))
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test func aBackupOfATamperedDatabaseSaysSoAndFails() async throws {
        let (path, incident, store) = try await database()
        try await store.incidents.database.raw("DROP TRIGGER timeline_no_update").run()
        try await store.incidents.database.raw("UPDATE timeline SET actor = '别人' WHERE incident_id = \(bind: incident) AND sequence = 1").run()
        try await store.close()
        let target = backupPath()
        let result = try CLI.run(["backup", "--db", path, "--to", target])
        #expect(result.status == 1)
        #expect(result.stdout.contains("断点：事故 \(incident) 的第 1 条记录：内容与哈希不符"))
        #expect(result.stdout.contains("1 条记录链有断点"))
        #expect(FileManager.default.fileExists(atPath: target))  // kept as evidence
    }
}
