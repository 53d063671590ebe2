/// Reads one mapping of a `PlanNode` tree field by field, remembering which keys were read so
/// that `finish()` can reject keys the format does not know (a typo must not silently drop a rule).
final class NodeReader {
    let file: String
    let path: String
    let line: Int
    private let entries: [(key: String, value: PlanNode)]
    private var read: Set<String> = []

    init(_ node: PlanNode, file: String, path: String) throws {
        self.file = file
        self.path = path
        self.line = node.line
        guard case .map(let entries, _) = node else {
            throw PlanFileError(file: file, line: node.line, field: path, message: "应为映射（键: 值），实际是\(node.kindName)")
        }
        self.entries = entries
    }

    func error(_ key: String?, _ message: String, line: Int? = nil) -> PlanFileError {
        PlanFileError(file: file, line: line ?? node(key ?? "")?.line ?? self.line, field: field(key), message: message)
    }

    func field(_ key: String?) -> String {
        guard let key, !key.isEmpty else { return path }
        return path.isEmpty ? key : "\(path).\(key)"
    }

    func has(_ key: String) -> Bool { node(key) != nil }

    func node(_ key: String) -> PlanNode? {
        guard let value = entries.first(where: { $0.key == key })?.value else { return nil }
        if case .null = value { return nil }
        return value
    }

    private func take(_ key: String) -> PlanNode? {
        read.insert(key)
        return node(key)
    }

    // MARK: scalars

    func optionalString(_ key: String) throws -> String? {
        guard let value = take(key) else { return nil }
        guard case .scalar(let text, _) = value else {
            throw error(key, "应为文字，实际是\(value.kindName)")
        }
        return text
    }

    func string(_ key: String) throws -> String {
        guard let text = try optionalString(key), !text.isEmpty else { throw error(key, "缺少必填字段") }
        return text
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let text = try optionalString(key) else { return nil }
        guard let value = Int(text) else { throw error(key, "应为整数，实际是「\(text)」") }
        return value
    }

    func int(_ key: String) throws -> Int {
        guard let value = try optionalInt(key) else { throw error(key, "缺少必填字段") }
        return value
    }

    func bool(_ key: String, default fallback: Bool = false) throws -> Bool {
        guard let text = try optionalString(key) else { return fallback }
        switch text {
        case "true", "yes", "是": return true
        case "false", "no", "否": return false
        default: throw error(key, "应为 true 或 false，实际是「\(text)」")
        }
    }

    /// A scalar or a list of scalars, read as a list.
    func strings(_ key: String) throws -> [String] {
        guard let value = take(key) else { return [] }
        switch value {
        case .scalar(let text, _): return [text]
        case .list(let items, _):
            return try items.enumerated().map { index, item in
                guard case .scalar(let text, _) = item else {
                    throw PlanFileError(file: file, line: item.line, field: "\(field(key))[\(index)]", message: "应为文字，实际是\(item.kindName)")
                }
                return text
            }
        default: throw error(key, "应为文字或文字列表，实际是\(value.kindName)")
        }
    }

    func ints(_ key: String) throws -> [Int] {
        try strings(key).map { text in
            guard let value = Int(text) else { throw error(key, "应为整数列表，其中「\(text)」不是整数") }
            return value
        }
    }

    /// A one-line multi-paragraph text: lists of strings are joined.
    func text(_ key: String) throws -> String? {
        let parts = try strings(key)
        return parts.isEmpty ? nil : parts.joined(separator: "\n")
    }

    // MARK: structure

    func optionalMap(_ key: String) throws -> NodeReader? {
        guard let value = take(key) else { return nil }
        return try NodeReader(value, file: file, path: field(key))
    }

    func map(_ key: String) throws -> NodeReader {
        guard let reader = try optionalMap(key) else { throw error(key, "缺少必填部分") }
        return reader
    }

    /// Reads each item of a list with `each`; an absent key is an empty list.
    func list<T>(_ key: String, _ each: (NodeReader) throws -> T) throws -> [T] {
        guard let value = take(key) else { return [] }
        guard case .list(let items, _) = value else { throw error(key, "应为列表，实际是\(value.kindName)") }
        return try items.enumerated().map { index, item in
            let reader = try NodeReader(item, file: file, path: "\(field(key))[\(index)]")
            let result = try each(reader)
            try reader.finish()
            return result
        }
    }

    /// Reads a mapping whose keys are data (e.g. grade → level), with `each` on every value.
    func keyed<T>(_ key: String, _ each: (String, PlanNode, String) throws -> T) throws -> [T] {
        guard let value = take(key) else { return [] }
        guard case .map(let pairs, _) = value else { throw error(key, "应为映射，实际是\(value.kindName)") }
        return try pairs.map { try each($0.key, $0.value, "\(field(key)).\($0.key)") }
    }

    /// Rejects keys this reader did not ask for.
    func finish() throws {
        for entry in entries where !read.contains(entry.key) {
            throw PlanFileError(file: file, line: entry.value.line, field: field(entry.key), message: "未知字段（拼写错误？）")
        }
    }
}
