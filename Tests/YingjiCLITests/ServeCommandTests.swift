import Foundation
import Testing
import YingjiTestSupport

/// `yingji serve` as a process: prints its URL, serves the demo, stops cleanly on SIGTERM while a
/// board holds an event stream open, and keeps what it stored.
@Suite struct ServeCommandTests {
    /// A public address that is not `http(s)://host[:port]` stops `serve` before it opens anything.
    @Test func aBadPublicURLIsRefusedNamingTheOptionAndNothingIsCreated() throws {
        let db = Scratch.path("serve")
        let result = try CLI.run(["serve", "--db", db, "--port", "0", "--public-url", "yingji.example.gov.cn/board"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("错误：--public-url：须为 http:// 或 https:// 开头"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db))
    }

    /// A reminder lead outside 0–1440 minutes is refused naming the option; nothing is created.
    @Test func aDueSoonLeadOutOfRangeIsRefusedNamingTheOption() throws {
        let db = Scratch.path("serve")
        for minutes in ["-1", "1441"] {
            let result = try CLI.run(["serve", "--db", db, "--port", "0", "--due-soon-minutes=\(minutes)"])
            #expect(result.status == 2, "\(minutes)")
            #expect(result.stderr.hasPrefix("错误：--due-soon-minutes：须在 0–1440 分钟之间"), "\(minutes): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: db))
    }

    @Test func demoServerPrintsItsURLAndStopsGracefullyOnSIGTERM() throws {
        let db = Scratch.path("serve")
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--demo", "--db", db, "--port", "0"]
        process.currentDirectoryURL = CLI.root
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = nil
        environment["LOG_LEVEL"] = "debug"
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        // The log goes to a file: a pipe nobody reads while the server runs could fill and stop it.
        let logPath = Scratch.path("serve", extension: "log")
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        defer { try? log.close() }
        process.standardError = log
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // Read until the line with the URL.
        var printed = ""
        let deadline = Date().addingTimeInterval(30)
        while !printed.contains("已启动"), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        #expect(printed.contains("已创建示例数据"))
        let url = try #require(printed.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression).map { String(printed[$0]) })
        let port = try #require(Int(url.split(separator: ":").last ?? ""))

        #expect(printed.contains("kunyu-duty-officer（值班员）"))
        // Without an account: 401. With a token made by the CLI while the server runs: the demo incident.
        #expect(Self.get(port: port, path: "/api/v1/incidents").map { String(decoding: $0, as: UTF8.self) }?.contains("auth.required") == true)
        let made = try CLI.run(["token", "create", "--db", db, "--login", "kunyu-viewer", "--role", "viewer@kunyu", "--name", "测试看板", "--quiet"])
        #expect(made.status == 0, "\(made.stderr)")
        let token = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("yj_") && token.count == 67)
        let list = try #require(Self.get(port: port, path: "/api/v1/incidents", token: token))
        let items = try #require((try JSONSerialization.jsonObject(with: list) as? [String: Any])?["items"] as? [[String: Any]])
        #expect(items.count == 1)
        #expect(items.first?["grade"] as? Int == 3)
        let board = try #require(Self.connectSocket(port: port))
        let request = Array("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8)
        _ = write(board, request, request.count)
        Thread.sleep(forTimeInterval: 0.3)

        kill(process.processIdentifier, SIGTERM)
        let stopBy = Date().addingTimeInterval(10)
        while process.isRunning, Date() < stopBy { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!process.isRunning, "still running 10 s after SIGTERM")
        #expect(process.terminationStatus == 0)
        _ = close(board)

        // Once started, its Swift jobs ran on NIO's event loops (the requests above were served so).
        let logged = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        #expect(logged.contains("Swift 并发任务改在 NIO 事件循环上运行"), "\(logged.suffix(2000))")
        #expect(!logged.contains("仍在其默认线程池"))

        // What it stored is intact.
        let audit = try CLI.run(["audit", "verify", "--db", db])
        #expect(audit.status == 0)
        #expect(audit.stdout.contains("核验 1 起事故：记录链全部完整"))
    }

    static func connectSocket(port: Int) -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        return connected == 0 ? descriptor : nil
    }

    /// A plain HTTP/1.1 GET; returns the body.
    static func get(port: Int, path: String, token: String? = nil) -> Data? {
        guard let descriptor = connectSocket(port: port) else { return nil }
        defer { _ = close(descriptor) }
        let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(authorization)Connection: close\r\n\r\n".utf8)
        _ = write(descriptor, request, request.count)
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        guard let split = response.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        return response[split.upperBound...]
    }
}
