import ArgumentParser
import Foundation
import Hummingbird
import Logging
import YingjiCore
import YingjiPlans
import YingjiServer
import YingjiStore

/// `yingji serve` — the incident server. SQLite file by default; PostgreSQL when `DATABASE_URL` is set.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "启动事故指挥服务（JSON API、事件流、逾期提醒）。设置 DATABASE_URL=postgres://… 时使用 PostgreSQL。"
    )

    @Option(name: .long, help: "监听地址。") var host = "127.0.0.1"
    @Option(name: .long, help: "监听端口（0 表示任选空闲端口）。") var port = 8080
    @Option(name: .long, help: "SQLite 数据库文件。") var db = "yingji.sqlite"
    @Flag(name: .long, help: "空数据库时创建示例辖区（昆玉、巴楚、拉萨及其下级）、单位、各角色的演示账号和一起示例事故。") var demo = false
    @Flag(name: .long, help: "会话 Cookie 加 Secure 属性（经 HTTPS 反向代理对外提供服务时打开）。") var secureCookies = false
    @Option(name: .long, help: "对外地址，如 https://yingji.example.gov.cn：预警订阅源和 CAP 消息里的链接用它（不设时取每个请求的 Host，经反向代理对外时应设置）。")
    var publicURL: String?
    @Option(name: .long, help: "报送时限到期前多少分钟发出「即将到期」提醒（事件 obligation.due_soon；0 表示不提醒）。")
    var dueSoonMinutes = Int(Server.defaultDueSoonLead / 60)
    @Flag(name: .long, help: ArgumentHelp("测试用：允许 POST /api/v1/test/clock 把服务器时钟拨快（只能与 --demo 一起、只在 127.0.0.1 上、只用于本次新建的演示数据库）。", visibility: .hidden))
    var testClock = false

    func run() async throws {
        guard (0...65535).contains(port) else { throw CLIError("--port：端口须在 0–65535 之间") }
        guard (0...1440).contains(dueSoonMinutes) else { throw CLIError("--due-soon-minutes：须在 0–1440 分钟之间（0 表示不提醒）") }
        if let publicURL {
            do { _ = try Server.publicURL(publicURL) } catch let error as APIError { throw CLIError(error.message) }
        }
        if testClock && (!demo || host != "127.0.0.1") {
            throw CLIError("--test-clock：测试时钟只能与 --demo 一起、在 --host 127.0.0.1 上使用")
        }
        var logger = Logger(label: "yingji")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let library = try PlanLoading.library()
        // The plan files are parsed (and kept, `PlanLibrary.readDocument`) on another core while
        // the database opens and migrates; the server waits for them before it binds jurisdictions
        // to plans. A file that does not parse is reported then, by the load that needs it.
        // On a thread of its own: on one of Swift's pool threads (as many as cores) the parse
        // left the database's opening waiting for a thread to run on.
        let plansParsed = Task {
            await withCheckedContinuation { (parsed: CheckedContinuation<Void, Never>) in
                Thread.detachNewThread {
                    _ = try? library.planIDs()
                    parsed.resume()
                }
            }
        }
        let adjustable = testClock ? AdjustableClock() : nil
        // The page templates are read while the database opens and migrates, and parsed once
        // the server listens (a page asked for sooner waits for the parse, suspended).
        let templateFailure: @Sendable (Error) -> Void = { [logger] error in
            logger.critical("网页模板无法解析，页面将答 500（接口不受影响）：\(error)")
        }
        let pages = Task { try await WebPages.load(clock: adjustable ?? SystemClock(), parseNow: false, templateFailure: templateFailure) }
        let store: Store
        do { store = try await StoreOpening.open(db: db, mustExist: false) } catch {
            pages.cancel()
            throw error
        }
        do {
            await plansParsed.value
            let webPages = try await pages.value
            let server = try await Server(store: store, library: library, testClock: adjustable, secureCookies: secureCookies,
                                          publicURL: publicURL, dueSoonLead: TimeInterval(dueSoonMinutes * 60), pages: webPages, logger: logger)
            if demo {
                let seeded = try await Demo.seed(server)
                // The test clock writes future times into the record: only ever on a demo database this run made.
                if testClock && !seeded {
                    throw CLIError("--test-clock：测试时钟只能用于本次新建的演示数据库（\(db) 已有数据）")
                }
                if seeded {
                    FileHandle.standardOutput.write(Data("已创建示例数据：辖区 kunyu、bachu、lhasa（及下级）、单位、演示账号和一起示例事故\n".utf8))
                }
                if try await server.store.accounts.user(login: "admin") != nil {
                    FileHandle.standardOutput.write(Data("\(Demo.loginSheet)\n".utf8))
                }
            } else if try await !server.store.accounts.administratorExists() {
                FileHandle.standardOutput.write(Data("还没有管理员账号：请运行 yingji admin init 创建（或用 --demo 启动演示数据）\n".utf8))
            }
            let engine = store.engine == .postgres ? "PostgreSQL" : "SQLite（\(db)）"
            let app = server.application(host: host, port: port) { bound in
                webPages.parseTemplates(templateFailure: templateFailure)
                // Written straight to the file descriptor so scripts reading a pipe see it at once.
                FileHandle.standardOutput.write(Data("应急指挥服务已启动：http://\(host):\(bound)/  （接口 /api/v1，数据库：\(engine)，Ctrl-C 停止）\n".utf8))
            }
            // From here on Swift Concurrency's jobs run on NIO's event loops, the threads the
            // sockets are served on, so a request's handler does not hop to another pool and back
            // (reads answer about 1.4 times as many requests). Installed once start-up is done: on
            // NIO's loops the many small steps of opening and seeding the database were slower.
            // Password hashing runs on NIO's thread pool and SQLite's writes on the writer's own
            // thread; a read of one row runs in place, on the loop (it takes microseconds), and a
            // list on the store's list threads, so a long one does not hold up the loop's sockets.
            if EventLoopJobs.install(), await EventLoopJobs.tasksRunOnEventLoops() {
                logger.info("Swift 并发任务改在 NIO 事件循环上运行")
            } else {
                logger.notice("Swift 并发任务仍在其默认线程池上运行（未能设置运行时的任务入队钩子）")
            }
            try await Server.run(app, logger: logger)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }
}
