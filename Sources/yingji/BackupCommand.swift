import ArgumentParser
import Foundation
import YingjiStore

/// `yingji backup` — a consistent copy of the SQLite database, taken while the server runs, and
/// checked: the copy is opened and every record chain in it verified before the command says so.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "把 SQLite 数据库备份为一个新文件（服务运行中也可执行），并核验备份中的每条记录链；有断点时退出码为 1。PostgreSQL 请用 pg_dump。"
    )

    @Option(name: .long, help: "要备份的 SQLite 数据库文件（默认 yingji.sqlite）。") var db = "yingji.sqlite"
    @Option(name: .long, help: "备份文件路径：不得已存在（备份从不覆盖已有文件），所在目录须已存在。") var to: String

    func run() async throws {
        if !(ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "").isEmpty {
            throw CLIError("DATABASE_URL 已设置：yingji backup 只备份 SQLite 数据库；PostgreSQL 请用 pg_dump（例如 pg_dump -Fc \"$DATABASE_URL\" -f yingji.dump）")
        }
        let target = URL(fileURLWithPath: to)
        guard !to.isEmpty, !FileManager.default.fileExists(atPath: target.path) else {
            throw CLIError("--to：文件已存在：\(to)（备份从不覆盖已有文件，请换一个文件名）")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: target.deletingLastPathComponent().path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError("--to：目录不存在：\(target.deletingLastPathComponent().path)")
        }
        let store = try await StoreOpening.open(db: db, mustExist: true)
        do {
            try await store.backup(to: target.path)
            try await store.close()
        } catch {
            try? await store.close()
            throw CLIError("--to：无法写入备份：\(String(reflecting: error))")
        }
        // The copy is read back as a server would open it, and every chain in it verified.
        let copy: Store
        do { copy = try await Store.open(path: target.path) } catch {
            throw CLIError("--to：备份文件无法打开：\(String(reflecting: error))")
        }
        let contents = try await copy.contents()
        let breaks = try await copy.verifyTimelines()
        try await copy.close()
        let summary = "事故 \(contents.incidents) 起、预警 \(contents.warnings) 条、记录 \(contents.entries) 条"
        guard breaks.isEmpty else {
            for found in breaks { print("断点：\(found)") }
            print("已备份到 \(to)（\(summary)），但 \(breaks.count) 条记录链有断点：原库中的记录已被篡改或缺失，请用 yingji audit verify 核查原库")
            throw ExitCode(1)
        }
        print("已备份到 \(to)：\(summary)，记录链全部完整")
    }
}
