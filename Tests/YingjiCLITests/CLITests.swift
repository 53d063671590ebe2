import Foundation
import Testing

/// Runs the built `yingji` binary as a user would, from the repository root.
enum CLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL {
        let beside = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("yingji")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return root.appendingPathComponent(".build/debug/yingji")
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// `databaseURL`: DATABASE_URL for the command (none unless given).
    static func run(_ arguments: [String], input: String? = nil, databaseURL: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = root
        // These tests work on SQLite files they make; CI's PostgreSQL is for the store tests.
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func json(_ arguments: [String]) throws -> [String: Any] {
        let result = try run(arguments + ["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }
}

@Suite struct ClassifyCommandTests {
    static let known = ["--known-at", "2026-03-01T02:10:00+08:00"]

    @Test func readmeExampleRunsAsWritten() throws {
        let result = try CLI.run(["classify", "--plan", "kunyu", "--deaths", "3", "--direct-loss", "1200万", "--category", "火灾"] + Self.known)
        #expect(result.status == 0)
        #expect(result.stdout.contains("等级：较大（3级）"))
        #expect(result.stdout.contains("决定：师市专项指挥部指挥长"))
        #expect(result.stdout.contains("截止 2026年3月1日 03:10  1小时内"))
        #expect(result.stdout.contains("（条例第九条）"))
        #expect(result.stdout.contains("期限至 2026年3月8日 02:10"))
    }

    @Test func jsonHasTheDocumentedShape() throws {
        let json = try CLI.json(["classify", "--plan", "kunyu", "--deaths", "12", "--occurred-at", "2026-03-01T02:00:00+08:00"] + Self.known)
        #expect((json["plan"] as? [String: Any])?["id"] as? String == "kunyu")
        #expect(json["grade"] as? Int == 2)
        #expect(json["gradeName"] as? String == "重大")
        #expect(json["responseLevel"] as? Int == 2)
        let matched = try #require(json["matched"] as? [[String: Any]])
        #expect(matched.count == 1)
        #expect(matched[0]["metric"] as? String == "deaths")
        #expect(matched[0]["value"] as? Int == 12)
        #expect(matched[0]["grade"] as? Int == 2)
        #expect(matched[0]["source"] as? String == "附件1")
        let authority = try #require(json["authority"] as? [String: Any])
        #expect(authority["decides"] as? [String] == ["师市党委", "师市主要负责同志"])
        #expect(authority["signs"] as? [String] == ["师市主要负责同志"])
        #expect(authority["source"] as? String == "5.3.2")
        #expect(authority["precondition"] is NSNull)
        #expect((json["scope"] as? [String: Any])?["mode"] as? String == "firstResponse")
        let obligations = try #require(json["obligations"] as? [[String: Any]])
        let bingtuan = try #require(obligations.first { $0["id"] as? String == "kunyu-bingtuan-30min" })
        #expect(bingtuan["dueAt"] as? String == "2026-03-01T02:30:00+08:00")
        #expect(bingtuan["withinMinutes"] as? Int == 30)
        #expect(bingtuan["channel"] as? String == "phone-or-written")
        #expect(bingtuan["source"] as? String == "5.1.1")
        #expect(bingtuan["from"] as? String != nil && bingtuan["to"] as? String != nil)
    }

    @Test func noGradeIsAnAnswerNotAnError() throws {
        let json = try CLI.json(["classify", "--plan", "kunyu", "--missing", "0"] + Self.known)
        #expect(json["grade"] is NSNull)
        #expect(json["gradeName"] is NSNull)
        #expect(json["responseLevel"] is NSNull)
        #expect((json["matched"] as? [Any])?.isEmpty == true)
        let text = try CLI.run(["classify", "--plan", "kunyu"] + Self.known)
        #expect(text.status == 0)
        #expect(text.stdout.contains("等级：未达到分级标准"))
    }

    /// Each kind of bad input: one Chinese line naming the field, exit code 2.
    @Test(arguments: [
        (["--plan", "shanghai"], "未知预案「shanghai」"),
        (["--plan", "kunyu", "--deaths", "-1"], "--deaths：人数不能为负数"),
        (["--plan", "kunyu", "--deaths", "three"], "--deaths：人数应为非负整数"),
        (["--plan", "kunyu", "--direct-loss", "很多"], "--direct-loss：无法识别的金额"),
        (["--plan", "kunyu", "--category", "海啸"], "--category：预案 kunyu 中没有事故类别「海啸」"),
        (["--plan", "kunyu", "--known-at", "昨天"], "--known-at：无法识别的时间"),
        (["--plan", "Tests/Fixtures/plans/broken-syntax.yaml"], "broken-syntax.yaml:7: YAML 格式错误"),
        (["--plan", "kunyu", "--bogus"], "参数错误"),
        (["--plan", "kunyu", "--missing", "99999999999999999999"], "--missing：人数应为非负整数"),
        (["--plan", "kunyu", "--missing", "2000000000"], "--missing：人数超出合理范围"),
        (["--plan", "kunyu", "--direct-loss", "99999999999999亿"], "--direct-loss：金额超出合理范围"),
        (["--plan", "kunyu", "--occurred-at", "2026-03-02T00:00:00+08:00", "--known-at", "2026-03-01T00:00:00+08:00"], "--occurred-at：事故发生时间不能晚于获知时间"),
    ])
    func badInputExitsWith2(_ arguments: [String], _ message: String) throws {
        let result = try CLI.run(["classify"] + arguments)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("错误："))
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stdout.isEmpty)
    }
}

@Suite struct PlanCommandTests {
    @Test func checkKunyuIsClean() throws {
        let result = try CLI.run(["plan", "check", "kunyu"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("0 个错误，0 个警告"))
    }

    @Test func checkBrokenPlanExits1() throws {
        let result = try CLI.run(["plan", "check", "Tests/Fixtures/plans/broken-refs.yaml", "--json"])
        #expect(result.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let codes = (json["findings"] as? [[String: Any]])?.compactMap { $0["code"] as? String } ?? []
        #expect(codes == ["ref.unknown-role"])
    }

    @Test func showCategoriesListsLeads() throws {
        let result = try CLI.run(["plan", "show", "Tests/Fixtures/plans/hexi.yaml", "--categories"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("tailings-dam  尾矿库事故"))
        #expect(result.stdout.contains("牵头：区自然资源局（闭库尾矿库）（1.3(2)）"))
    }

    @Test func showSummaryIsChinese() throws {
        let result = try CLI.run(["plan", "show", "kunyu"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("【事故分级（附件1）】"))
        #expect(result.stdout.contains("三级：决定 师市专项指挥部指挥长；签发 师市专项指挥部指挥长（5.3.2）"))
        #expect(result.stdout.contains("抢险救援组：牵头 师市应急管理局"))
    }
}
