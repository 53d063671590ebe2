extension PlanDocument {
    /// Reads a plan file's tree. Throws the first error, located by line and field path.
    /// `text` is the file's text, when known, for the plan's version digest.
    public static func read(_ node: PlanNode, file: String, text: String = "") throws -> PlanDocument {
        let root = try NodeReader(node, file: file, path: "")
        let kind = try root.optionalString("kind").map { text -> Kind in
            guard let kind = Kind(rawValue: text) else { throw root.error("kind", "应为 plan 或 base，实际是「\(text)」") }
            return kind
        } ?? .plan
        let id = try root.string("id")
        let context = ReadContext(document: id)
        let reporting = try context.reporting(try root.optionalMap("reporting"))
        var document = PlanDocument(
            kind: kind,
            id: id,
            name: try root.string("name"),
            file: file,
            inherits: try root.optionalString("inherits"),
            jurisdiction: try root.optionalMap("jurisdiction").map(context.jurisdiction),
            issuer: try root.optionalString("issuer"),
            year: try root.optionalInt("year"),
            status: try root.optionalString("status"),
            categories: try root.list("categories", context.category),
            grading: try root.optionalMap("grading").map(context.grading),
            rules: reporting.rules,
            escalation: reporting.escalation,
            chain: reporting.chain,
            initialReport: try context.contentSection(root, "initialReport"),
            followUp: try context.contentSection(root, "followUpReport"),
            response: try root.optionalMap("response").map(context.response),
            warnings: try root.optionalMap("warnings").map(context.warnings),
            command: try root.optionalMap("command").map(context.command),
            termination: try root.optionalMap("termination").map(context.termination),
            aftermath: try root.optionalMap("aftermath").map(context.aftermath),
            investigation: try root.list("investigation", context.investigation),
            management: try root.optionalMap("management").map(context.management),
            sourceless: [],
            digest: Digest.fnv1a(text)
        )
        try root.finish()
        document.sourceless = context.sourceless.errors
        if kind == .plan {
            if document.jurisdiction == nil { throw root.error("jurisdiction", "预案缺少必填部分") }
            if document.issuer == nil { throw root.error("issuer", "预案缺少必填字段") }
            if document.year == nil { throw root.error("year", "预案缺少必填字段") }
        }
        return document
    }
}

/// Shared helpers for reading sections; `document` tags every `Source`.
struct ReadContext {
    let document: String
    /// Rules found without a `source:`; the plan still loads and `plan check` reports them.
    let sourceless = SourcelessRules()

    func source(_ reader: NodeReader, required: Bool = true, fallback: Source? = nil) throws -> Source? {
        if let clause = try reader.optionalString("source") { return Source(clause: clause, document: document) }
        if let fallback { return fallback }
        if required { sourceless.add(reader.error("source", "规则缺少出处（预案条款或法规条文）", line: reader.line)) }
        return nil
    }

    func requiredSource(_ reader: NodeReader, fallback: Source? = nil) throws -> Source {
        try source(reader, fallback: fallback) ?? Source(clause: "出处缺失", document: document)
    }

    func jurisdiction(_ reader: NodeReader) throws -> Jurisdiction {
        let result = Jurisdiction(
            name: try reader.string("name"),
            level: try level(reader, "level"),
            parent: try reader.optionalString("parent")
        )
        try reader.finish()
        return result
    }

    func level(_ reader: NodeReader, _ key: String) throws -> JurisdictionLevel {
        let text = try reader.string(key)
        guard let level = JurisdictionLevel(rawValue: text) else {
            throw reader.error(key, "未知的行政层级「\(text)」，可选：\(JurisdictionLevel.allCases.map(\.rawValue).joined(separator: "、"))")
        }
        return level
    }

    func grades(_ reader: NodeReader, _ key: String) throws -> [Grade] {
        try reader.strings(key).map { text in
            guard let grade = Grade(parsing: text) else { throw reader.error(key, "未知的事故等级「\(text)」，应为 1–4 或 特别重大/重大/较大/一般") }
            return grade
        }
    }

    func grade(_ reader: NodeReader, _ key: String) throws -> Grade {
        let found = try grades(reader, key)
        guard found.count == 1 else { throw reader.error(key, "应为一个事故等级（1–4）") }
        return found[0]
    }

    func responseLevels(_ reader: NodeReader, _ key: String) throws -> [ResponseLevel] {
        try reader.strings(key).map { text in
            guard let level = ResponseLevel(parsing: text) else { throw reader.error(key, "未知的响应等级「\(text)」，应为 1–4") }
            return level
        }
    }

    func enumValue<T: RawRepresentable & CaseIterable>(_ reader: NodeReader, _ key: String, default fallback: T? = nil) throws -> T where T.RawValue == String {
        guard let text = try reader.optionalString(key) else {
            if let fallback { return fallback }
            throw reader.error(key, "缺少必填字段")
        }
        guard let value = T(rawValue: text) else {
            throw reader.error(key, "未知取值「\(text)」，可选：\(T.allCases.map(\.rawValue).joined(separator: "、"))")
        }
        return value
    }

    /// `withinMinutes`, `withinHours` or `withinDays`: exactly one, converted to minutes.
    func duration(_ reader: NodeReader) throws -> Int {
        let given = [("withinMinutes", 1), ("withinHours", 60), ("withinDays", 1440)].compactMap { key, factor -> (String, Int)? in
            reader.has(key) ? (key, factor) : nil
        }
        guard given.count == 1, let (key, factor) = given.first else {
            throw reader.error(nil, given.isEmpty ? "缺少时限：withinMinutes、withinHours 或 withinDays 之一" : "时限只能写一个：withinMinutes、withinHours、withinDays")
        }
        let value = try reader.int(key)
        guard value >= 0 else { throw reader.error(key, "时限不能为负数") }
        return value * factor
    }

    func fields(_ reader: NodeReader, _ key: String) throws -> [ContentField] {
        try reader.list(key) { item in
            ContentField(id: try item.string("id"), name: try item.string("name"), required: try item.bool("required", default: true))
        }
    }

    func contentSection(_ root: NodeReader, _ key: String) throws -> (fields: [ContentField], source: Source)? {
        guard let reader = try root.optionalMap(key) else { return nil }
        let result = (fields: try fields(reader, "fields"), source: try requiredSource(reader))
        try reader.finish()
        return result
    }

    func policyText(_ reader: NodeReader?, fallback: Source? = nil) throws -> PolicyText? {
        guard let reader else { return nil }
        let result = PolicyText(
            text: try reader.text("text") ?? "",
            approvedBy: try reader.strings("approvedBy"),
            source: try requiredSource(reader, fallback: fallback)
        )
        if result.text.isEmpty { throw reader.error("text", "缺少必填字段") }
        try reader.finish()
        return result
    }

    func items(_ reader: NodeReader, _ key: String) throws -> [ActionItem] {
        try reader.list(key) { item in ActionItem(id: try item.string("id"), text: try item.string("text")) }
    }

    func body(_ reader: NodeReader, fallback: Source? = nil) throws -> Body {
        let result = Body(
            name: try reader.string("name"),
            composition: try reader.text("composition"),
            duties: try reader.strings("duties"),
            source: try requiredSource(reader, fallback: fallback)
        )
        try reader.finish()
        return result
    }
}

/// Collects rules that lack a `source:` while a file is read.
final class SourcelessRules {
    private(set) var errors: [PlanFileError] = []
    func add(_ error: PlanFileError) { errors.append(error) }
}
