import ArgumentParser
import Foundation
import Hummingbird

/// `yingji bench-hello` — a bare Hummingbird server answering `GET /` with "hello": the baseline
/// the benchmark compares the real routes against. Not for users, hidden from help.
struct BenchHelloCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-hello", abstract: "基准测试用的空服务。", shouldDisplay: false)

    @Option(name: .long) var port = 8089

    func run() async throws {
        let router = Router()
        router.get("/") { _, _ in "hello" }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        try await app.runService()
    }
}
