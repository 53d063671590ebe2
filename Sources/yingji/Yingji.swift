import ArgumentParser
import Foundation

/// `yingji` — the command line. Bad input ends with a one-line Chinese message and exit code 2.
///
/// Every command sets its `commandName`: one left to ArgumentParser is made from the type's name
/// through the runtime's conformance lookups, which cost milliseconds of every start.
@main
struct Yingji: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yingji",
        abstract: "应急（Yingji）：把生产安全事故应急预案变成可执行的规则。",
        subcommands: [ServeCommand.self, Classify.self, PlanCommand.self, AuditCommand.self, BackupCommand.self, AdminCommand.self, UserCommand.self, TokenCommand.self, OrgCommand.self, BenchHelloCommand.self]
    )

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            fail(error.message, code: error.exitCode)
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let detail = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            fail("参数错误：\(detail)（用法见 yingji --help）", code: CLIError.badInput)
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("错误：\(message)\n".utf8))
        Foundation.exit(code)
    }
}

/// A failure the user can fix; `message` names the field and is shown as is.
struct CLIError: Error {
    static let badInput: Int32 = 2

    let message: String
    var exitCode: Int32 = CLIError.badInput

    init(_ message: String) {
        self.message = message
    }
}
