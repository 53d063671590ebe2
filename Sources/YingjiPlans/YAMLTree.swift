import Foundation
import YingjiCore
import Yams

/// Turns YAML text into the core's `PlanNode` tree, keeping line numbers.
enum YAMLTree {
    static func parse(_ text: String, file: String) throws -> PlanNode {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        }
        guard let node else { throw PlanFileError(file: file, line: 1, field: "", message: "文件为空") }
        return try convert(node, file: file)
    }

    private static func convert(_ node: Node, file: String) throws -> PlanNode {
        let line = node.mark?.line ?? 0
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain && node.null != nil { return .null(line: line) }
            return .scalar(scalar.string, line: line)
        case .sequence(let sequence):
            return .list(try sequence.map { try convert($0, file: file) }, line: line)
        case .mapping(let mapping):
            var seen: Set<String> = []
            var entries: [(key: String, value: PlanNode)] = []
            for (key, value) in mapping {
                guard let name = key.scalar?.string else {
                    throw PlanFileError(file: file, line: key.mark?.line, field: "", message: "键必须是文字")
                }
                guard seen.insert(name).inserted else {
                    throw PlanFileError(file: file, line: key.mark?.line, field: name, message: "键重复出现")
                }
                entries.append((name, try convert(value, file: file)))
            }
            return .map(entries, line: line)
        }
    }

    private static func syntaxError(_ error: YamlError, file: String) -> PlanFileError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return PlanFileError(file: file, line: mark.line, field: "", message: "YAML 格式错误：\(problem)")
        default:
            return PlanFileError(file: file, line: nil, field: "", message: "YAML 格式错误：\(error)")
        }
    }
}
