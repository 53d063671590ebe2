import Foundation
import YingjiCore
import YingjiPlans
import YingjiStore

/// Loads a plan named on the command line (an id from `plans/` or a path), turning every load
/// failure into a `CLIError` that names the file, line and field.
enum PlanLoading {
    static func library() throws -> PlanLibrary {
        guard let library = PlanLibrary.locate() else {
            throw CLIError("找不到预案目录 plans/（含 national.yaml）：请在仓库根目录运行，或设置环境变量 YINGJI_PLANS")
        }
        return library
    }

    /// `field` names the argument in messages (`--plan`, or 预案 for a positional argument).
    static func load(_ name: String, field: String = "--plan") throws -> Plan {
        do {
            let isPath = name.hasSuffix(".yaml") || name.hasSuffix(".yml") || name.contains("/")
            if isPath {
                return try PlanLibrary.load(file: URL(fileURLWithPath: name), baseDirectory: PlanLibrary.locate()?.directory)
            }
            return try library().load(name)
        } catch let error as PlanFileError {
            throw CLIError("\(field)：预案文件有误：\(error.description)")
        } catch let error as PlanLoadError {
            throw CLIError("\(field)：\(error.description)")
        }
    }
}

/// Opens the store a command names: SQLite at `--db`, or PostgreSQL when `DATABASE_URL` is set.
/// Failures become one line naming `--db`.
enum StoreOpening {
    /// `mustExist`: refuse a missing SQLite file instead of creating an empty database (every
    /// command but `serve` works on a database that `serve` made).
    static func open(db: String, mustExist: Bool) async throws -> Store {
        let usesPostgres = !(ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "").isEmpty
        if mustExist && !usesPostgres && !FileManager.default.fileExists(atPath: db) {
            throw CLIError("--db：数据库文件不存在：\(db)（先运行 yingji serve 创建，或用 --db 指定）")
        }
        do {
            return try await Store.open(sqlitePath: db)
        } catch {
            throw CLIError("--db：无法打开数据库：\(String(reflecting: error))")
        }
    }
}
