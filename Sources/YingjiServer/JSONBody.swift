import Foundation
import YingjiCore

/// A request's JSON object, read field by field: every wrong type, unknown field or missing value
/// is refused with the field's name, before anything is stored.
struct JSONBody: Sendable {
    let fields: [String: JSONValue]
    /// `figures.` for nested objects, so messages name the full path.
    let path: String

    /// Parses `data` as one JSON object whose keys are all in `allowed`.
    init(_ data: Data, allowed: Set<String>) throws {
        guard !data.isEmpty else {
            throw APIError(.badRequest, "body.empty", "请求体为空，须为 JSON 对象")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch where error.kind == .unsupportedNumber {
            throw Self.unsupportedValue(at: error.path)
        } catch {
            throw APIError(.badRequest, "body.malformed_json", "请求体不是合法的 JSON")
        }
        try self.init(value, allowed: allowed, path: "")
    }

    init(_ value: JSONValue, allowed: Set<String>, path: String) throws {
        guard case .object(let fields) = value else {
            throw APIError(.unprocessableContent, "body.not_object", path.isEmpty ? "请求体须为 JSON 对象" : "「\(path.dropLast())」须为对象",
                           field: path.isEmpty ? nil : String(path.dropLast()))
        }
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError(.unprocessableContent, "body.unknown_field", "未知字段「\(path)\(unknown)」，可用字段：\(allowed.sorted().joined(separator: "、"))",
                           field: path + unknown)
        }
        self.fields = fields
        self.path = path
    }

    func has(_ key: String) -> Bool {
        if case .some(.null) = fields[key] { return false }
        return fields[key] != nil
    }

    func string(_ key: String) throws -> String? {
        switch fields[key] {
        case .none, .some(.null): return nil
        case .some(.string(let value)): return value
        default: throw typeError(key, "字符串")
        }
    }

    func requiredString(_ key: String) throws -> String {
        guard let value = try string(key), !value.isBlank else {
            throw APIError(.unprocessableContent, "body.missing_field", "缺少字段「\(path)\(key)」", field: path + key)
        }
        return value
    }

    func int(_ key: String) throws -> Int64? {
        switch fields[key] {
        case .none, .some(.null): return nil
        case .some(.int(let value)): return value
        default: throw typeError(key, "整数")
        }
    }

    func requiredInt(_ key: String) throws -> Int64 {
        guard let value = try int(key) else {
            throw APIError(.unprocessableContent, "body.missing_field", "缺少字段「\(path)\(key)」", field: path + key)
        }
        return value
    }

    /// An ISO-8601 time with offset (`2026-03-01T02:10:00+08:00`).
    func time(_ key: String) throws -> Date? {
        guard let text = try string(key) else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw APIError(.unprocessableContent, "body.invalid_time", "「\(path)\(key)」须为带时区的 ISO-8601 时间，如 2026-03-01T02:10:00+08:00", field: path + key)
        }
        return date
    }

    func object(_ key: String, allowed: Set<String>) throws -> JSONBody? {
        switch fields[key] {
        case .none, .some(.null): return nil
        case .some(let value): return try JSONBody(value, allowed: allowed, path: path + key + ".")
        }
    }

    /// An object of string values whose keys are checked by the caller (the plan's report fields).
    func stringMap(_ key: String) throws -> [String: String] {
        switch fields[key] {
        case .none, .some(.null): return [:]
        case .some(.object(let values)):
            var result: [String: String] = [:]
            for (name, value) in values {
                switch value {
                case .string(let text): result[name] = text
                case .null: continue
                default: throw APIError(.unprocessableContent, "body.wrong_type", "「\(path)\(key).\(name)」须为字符串", field: "\(path)\(key).\(name)")
                }
            }
            return result
        default: throw typeError(key, "对象")
        }
    }

    /// An array of strings (at most 50, none empty).
    func stringArray(_ key: String) throws -> [String] {
        switch fields[key] {
        case .none, .some(.null): return []
        case .some(.array(let values)):
            guard values.count <= 50 else { throw APIError(.unprocessableContent, "body.too_many", "「\(path)\(key)」最多 50 项", field: path + key) }
            return try values.enumerated().map { index, value in
                guard case .string(let text) = value, !text.isEmpty else {
                    throw APIError(.unprocessableContent, "body.wrong_type", "「\(path)\(key)[\(index)]」须为非空字符串", field: "\(path)\(key)[\(index)]")
                }
                return text
            }
        default: throw typeError(key, "字符串数组")
        }
    }

    private func typeError(_ key: String, _ expected: String) -> APIError {
        APIError(.unprocessableContent, "body.wrong_type", "「\(path)\(key)」须为\(expected)", field: path + key)
    }

    /// JSONValue has no fractions: a number like 1.5 or 1e30 lands here, named by its path.
    private static func unsupportedValue(at path: [String]) -> APIError {
        let field = path.joined(separator: ".")
        return APIError(.unprocessableContent, "body.wrong_type", "「\(field)」的值无法识别（数字须为整数）", field: field)
    }
}
