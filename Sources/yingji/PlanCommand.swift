import ArgumentParser
import Foundation
import YingjiCore

/// `yingji plan check|show`
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "检查或查看预案文件。",
        subcommands: [Check.self, Show.self]
    )

    /// `yingji plan check` — exit 0 when the plan has no errors (warnings allowed), 1 when it has errors.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "检查预案：分级标准的空档与重叠、未定义的引用、缺少出处的规则。有错误时退出码为 1。"
        )

        @Argument(help: "预案 id（kunyu、bachu、lhasa）或预案 YAML 文件路径。") var plan: String
        @Flag(name: .long, help: "输出 JSON。") var json = false

        func run() throws {
            let plan = try PlanLoading.load(self.plan, field: "预案")
            let findings = plan.check()
            let errors = findings.filter { $0.severity == .error }.count
            if json {
                let report = CheckReport(plan: plan.id, errors: errors, warnings: findings.count - errors, findings: findings.map(CheckReport.Item.init))
                print(String(decoding: try JSONEncoder.yingji.encode(report), as: UTF8.self))
            } else {
                print("预案 \(plan.id)（\(plan.name)）：\(errors) 个错误，\(findings.count - errors) 个警告")
                for finding in findings {
                    print("\(finding.severity.chineseName) [\(finding.code)] \(finding.message)")
                }
            }
            if errors > 0 { throw ExitCode(1) }
        }
    }

    /// `yingji plan show` — the plan's rules as a readable Chinese summary.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "以中文摘要显示预案的规则。")

        @Argument(help: "预案 id 或预案 YAML 文件路径。") var plan: String
        @Flag(name: .long, help: "只列出事故类别及牵头单位。") var categories = false
        @Flag(name: .long, help: "输出 JSON（完整预案数据）。") var json = false

        func run() throws {
            let plan = try PlanLoading.load(self.plan, field: "预案")
            if json {
                let data = categories ? try JSONEncoder.yingji.encode(plan.categories) : try JSONEncoder.yingji.encode(plan)
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(categories ? PlanText.categories(plan) : PlanText.summary(plan))
            }
        }
    }
}

struct CheckReport: Encodable {
    struct Item: Encodable {
        let severity: String
        let code: String
        let message: String
        let metric: String?
        let low: Int64?
        let high: Int64?
        let categories: [String]?
        let grades: [Int]?

        init(_ finding: PlanFinding) {
            severity = finding.severity.rawValue
            code = finding.code
            message = finding.message
            metric = finding.range?.metric.rawValue
            low = finding.range?.low
            high = finding.range?.high
            categories = finding.range?.categories
            grades = finding.range?.grades
        }
    }

    let plan: String
    let errors: Int
    let warnings: Int
    let findings: [Item]
}
