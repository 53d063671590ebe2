import Foundation
import YingjiCore

/// Finds and loads plan files: by id from a plans folder (`plans/kunyu.yaml`), or by path.
///
/// A plan that says `inherits: national` gets `national.yaml` from the same folder as itself,
/// so a plan written elsewhere (a test fixture, a draft) can still inherit the shipped base rules
/// when its folder holds a copy or link, or by naming the folder with `baseDirectory`.
public struct PlanLibrary: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The `plans/` folder: `$YINGJI_PLANS`, else `./plans`, else the nearest `plans/` above the executable.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> PlanLibrary? {
        let manager = FileManager.default
        var candidates: [URL] = []
        if let explicit = environment["YINGJI_PLANS"] { candidates.append(URL(fileURLWithPath: explicit)) }
        candidates.append(URL(fileURLWithPath: manager.currentDirectoryPath).appendingPathComponent("plans"))
        var folder = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        while folder.path != "/" && !folder.path.isEmpty {
            candidates.append(folder.appendingPathComponent("plans"))
            folder.deleteLastPathComponent()
        }
        return candidates.first { manager.fileExists(atPath: $0.appendingPathComponent("national.yaml").path) }
            .map(PlanLibrary.init(directory:))
    }

    /// Ids of the plans in the folder (every `*.yaml` whose `kind` is not `base`).
    public func planIDs() throws -> [String] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
        return try files.compactMap { name in
            let document = try Self.readDocument(at: directory.appendingPathComponent(name))
            return document.kind == .plan ? document.id : nil
        }
    }

    /// Loads a plan by id (`kunyu`) or by a path to a YAML file.
    public func load(_ idOrPath: String) throws -> Plan {
        let url: URL
        if idOrPath.hasSuffix(".yaml") || idOrPath.hasSuffix(".yml") || idOrPath.contains("/") {
            url = URL(fileURLWithPath: idOrPath)
        } else {
            url = directory.appendingPathComponent("\(idOrPath).yaml")
        }
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw PlanLoadError.unknownPlan(idOrPath, known: (try? planIDs()) ?? [])
        }
        return try Self.load(file: url, baseDirectory: directory)
    }

    /// Loads the plan at `file`; its base is looked up beside it, then in `baseDirectory`.
    public static func load(file: URL, baseDirectory: URL? = nil) throws -> Plan {
        let document = try readDocument(at: file)
        var base: PlanDocument?
        if let baseID = document.inherits {
            let folders = [file.deletingLastPathComponent()] + (baseDirectory.map { [$0] } ?? [])
            guard let baseURL = folders.map({ $0.appendingPathComponent("\(baseID).yaml") })
                .first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
                throw PlanFileError(file: file.path, line: nil, field: "inherits", message: "找不到所继承的规则文件 \(baseID).yaml")
            }
            base = try readDocument(at: baseURL)
        }
        return try PlanComposer.compose(document, base: base)
    }

    public static func readDocument(at url: URL) throws -> PlanDocument {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PlanFileError(file: url.path, line: nil, field: "", message: "无法读取文件")
        }
        // Compared as bytes: two texts Swift holds equal may differ in bytes (NFC and NFD), and the
        // plan's digest is of the bytes.
        if let known = parsed.entry(url.path), known.bytes == data { return known.document }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PlanFileError(file: url.path, line: nil, field: "", message: "文件不是 UTF-8 编码")
        }
        let document = try parse(text, file: url.path)
        parsed.store(url.path, (data, document))
        return document
    }

    /// Each file's last bytes read and what they parsed to: a plan and its base are read again for
    /// every load and every listing (a listing parses every file to learn its kind), and parsing
    /// YAML is the slow part. A file whose bytes changed is parsed again.
    private static let parsed = ParsedDocuments()

    /// Reads plan YAML text; `file` is used in error messages.
    public static func parse(_ text: String, file: String) throws -> PlanDocument {
        try PlanDocument.read(try YAMLTree.parse(text, file: file), file: file, text: text)
    }
}

public enum PlanLoadError: Error, CustomStringConvertible, Equatable {
    case unknownPlan(String, known: [String])

    public var description: String {
        switch self {
        case .unknownPlan(let name, let known):
            return "未知预案「\(name)」" + (known.isEmpty ? "" : "，可用：\(known.joined(separator: "、"))")
        }
    }
}

/// The parsed-document cache of `PlanLibrary.readDocument`, safe to use from any thread.
private final class ParsedDocuments: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (bytes: Data, document: PlanDocument)] = [:]

    func entry(_ path: String) -> (bytes: Data, document: PlanDocument)? { lock.withLock { entries[path] } }
    func store(_ path: String, _ entry: (bytes: Data, document: PlanDocument)) { lock.withLock { entries[path] = entry } }
}
