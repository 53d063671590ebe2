import ArgumentParser
import Foundation
import YingjiCore
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
        guard !to.isEmpty else { throw CLIError("--to：须给出备份文件的路径") }
        let target = URL(fileURLWithPath: to)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: target.path, isDirectory: &isDirectory) {
            throw CLIError(isDirectory.boolValue ? "--to：\(to) 是一个目录，须给出备份文件的路径（如 \(target.appendingPathComponent("yingji-backup.sqlite").path)）"
                                                 : "--to：文件已存在：\(to)（备份从不覆盖已有文件，请换一个文件名）")
        }
        guard FileManager.default.fileExists(atPath: target.deletingLastPathComponent().path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError("--to：目录不存在：\(target.deletingLastPathComponent().path)")
        }
        guard FileManager.default.fileExists(atPath: db) else {
            throw CLIError("--db：数据库文件不存在：\(db)")
        }
        do {
            try await Store.backup(sqlitePath: db, to: target.path)
        } catch {
            // Nothing half-written is left under the name: the next try may use it.
            try? FileManager.default.removeItem(at: target)
            if let error = error as? StoreError { throw CLIError("--db：\(db)：\(error.description)") }
            throw CLIError("无法把 --db \(db) 备份到 --to \(to)：\(String(reflecting: error))")
        }
        // The copy is opened as a server would open it (no migration: its schema is this build's)
        // and every chain in it verified.
        let summary: String
        let breaks: [ChainBreak]
        do {
            let copy = try await Store.open(path: target.path)
            do {
                let contents = try await copy.contents()
                summary = "事故 \(contents.incidents) 起、预警 \(contents.warnings) 条、记录 \(contents.entries) 条"
                breaks = try await copy.verifyTimelines()
                try await copy.close()
            } catch {
                try? await copy.close()
                throw error
            }
        } catch {
            throw CLIError("--to：备份已写入 \(to)，但无法读回核验：\(String(reflecting: error))")
        }
        guard breaks.isEmpty else {
            for found in breaks { print("断点：\(found)") }
            print("已备份到 \(to)（\(summary)），但 \(breaks.count) 条记录链有断点：原库中的记录已被篡改或缺失，请用 yingji audit verify 核查原库；备份文件保留作证据")
            throw ExitCode(1)
        }
        print("已备份到 \(to)：\(summary)，记录链全部完整")
    }
}
