import ArgumentParser
import Foundation
import YingjiCore

/// `yingji classify` — grade an accident under a plan and list who must act and by when.
struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "按预案判定事故等级、响应等级、决定和签发人，以及各项报送时限。"
    )

    @Option(name: .long, help: "预案：kunyu、bachu、lhasa，或一个预案 YAML 文件的路径。")
    var plan: String

    @Option(name: .long, parsing: .unconditional, help: "死亡人数。") var deaths: String?
    @Option(name: .long, parsing: .unconditional, help: "失踪人数。") var missing: String?
    @Option(name: .customLong("serious-injuries"), parsing: .unconditional, help: "重伤人数。") var seriousInjuries: String?
    @Option(name: .long, parsing: .unconditional, help: "中毒人数（急性工业中毒）。") var poisoned: String?
    @Option(name: .customLong("direct-loss"), parsing: .unconditional, help: "直接经济损失：12000000、1200万、1.2亿、1,200万元。") var directLoss: String?
    @Option(name: .long, parsing: .unconditional, help: "转移人数。") var relocated: String?
    @Option(name: .long, help: "事故类别：类别 id 或中文名称（如 fire、火灾）。") var category: String?
    @Option(name: .customLong("known-at"), help: "获知事故的时间（ISO-8601，如 2026-03-01T02:10:00+08:00）；默认现在。") var knownAt: String?
    @Option(name: .customLong("occurred-at"), help: "事故发生时间（ISO-8601）；“事发后”计时的规则从此起算，缺省时以获知时间代替。") var occurredAt: String?
    @Flag(name: .long, help: "输出 JSON。") var json = false

    func run() throws {
        let figures = try readFigures()
        let known = try time(knownAt, option: "--known-at") ?? SystemClock().now()
        let occurred = try time(occurredAt, option: "--occurred-at")
        if let occurred, occurred > known {
            throw CLIError("--occurred-at：事故发生时间不能晚于获知时间（--known-at）")
        }
        let plan = try PlanLoading.load(self.plan)
        let chosen = try category.map { name -> AccidentCategory in
            guard let found = plan.category(named: name) else {
                let choices = plan.categories.map { "\($0.id)（\($0.name)）" }.joined(separator: "、")
                throw CLIError("--category：预案 \(plan.id) 中没有事故类别「\(name)」，可选：\(choices)")
            }
            return found
        }
        let result = plan.classify(figures, category: chosen, knownAt: known, occurredAt: occurred)
        if json {
            let data = try JSONEncoder.yingji.encode(ClassificationReport(result, knownAt: known, occurredAt: occurred))
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(ClassificationText.render(result, knownAt: known, occurredAt: occurred))
        }
    }

    private func readFigures() throws -> AccidentFigures {
        var figures = AccidentFigures()
        let counts: [(Metric, String?, String)] = [
            (.deaths, deaths, "--deaths"), (.missing, missing, "--missing"),
            (.seriousInjuries, seriousInjuries, "--serious-injuries"), (.poisoned, poisoned, "--poisoned"),
            (.relocated, relocated, "--relocated"),
        ]
        for (metric, text, option) in counts {
            guard let text else { continue }
            figures[metric] = try count(text, option: option)
        }
        if let directLoss {
            do {
                figures[.directLoss] = try Money.parse(directLoss)
            } catch Money.ParseError.negative {
                throw CLIError("--direct-loss：金额不能为负数（「\(directLoss)」）")
            } catch Money.ParseError.tooLarge {
                throw CLIError("--direct-loss：金额超出合理范围（「\(directLoss)」）")
            } catch Money.ParseError.tooPrecise {
                throw CLIError("--direct-loss：金额须精确到元（「\(directLoss)」）")
            } catch {
                throw CLIError("--direct-loss：无法识别的金额「\(directLoss)」，可写 12000000、1200万、1.2亿、1,200万元")
            }
        }
        return figures
    }

    /// Far above any accident, low enough that sums of counts cannot overflow.
    static let maximumCount: Int64 = 1_000_000_000

    private func count(_ text: String, option: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "人", with: "")
        guard let value = Int64(trimmed) else { throw CLIError("\(option)：人数应为非负整数，实际是「\(text)」") }
        guard value >= 0 else { throw CLIError("\(option)：人数不能为负数（「\(text)」）") }
        guard value <= Self.maximumCount else { throw CLIError("\(option)：人数超出合理范围（最多 \(Self.maximumCount)）") }
        return value
    }

    private func time(_ text: String?, option: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw CLIError("\(option)：无法识别的时间「\(text)」，应为 ISO-8601，如 2026-03-01T02:10:00+08:00")
        }
        return date
    }
}
