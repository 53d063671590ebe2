import ArgumentParser
import Foundation
import YingjiStore

/// `yingji audit verify` — recompute every timeline hash chain and name the first broken entry.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "核验事故记录链（时间线哈希链）。",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "重新计算每起事故和每条预警的记录链；有任何断点时退出码为 1。设置 DATABASE_URL 时核验 PostgreSQL。"
        )

        @Option(name: .long, help: "SQLite 数据库文件（默认 yingji.sqlite）。") var db = "yingji.sqlite"
        @Option(name: .long, help: "只核验这一起事故（或这条预警，编号 wrn_…）。") var incident: String?

        func run() async throws {
            let store = try await StoreOpening.open(db: db, mustExist: true)
            let breaks = try await store.verifyTimelines(incidentID: incident)
            var ids = incident.map { [$0] } ?? []
            if incident == nil { ids = try await store.incidents.incidentIDs() }
            try await store.close()
            // Warnings' chains live beside the incidents' (ids wrn_…); both are counted.
            let warnings = ids.filter { $0.hasPrefix("wrn_") }.count
            let counted = "\(ids.count - warnings) 起事故" + (warnings > 0 ? "、\(warnings) 条预警" : "")
            guard breaks.isEmpty else {
                for found in breaks { print("断点：\(found)") }
                print("核验 \(counted)：\(breaks.count) 条记录链被篡改或缺失")
                throw ExitCode(1)
            }
            print("核验 \(counted)：记录链全部完整")
        }
    }
}
