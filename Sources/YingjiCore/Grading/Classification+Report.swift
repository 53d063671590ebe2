import Foundation

/// The machine-readable form of a `Classification` (CLI `--json`, and later the API).
public struct ClassificationReport: NullEncoding, Sendable {
    public struct PlanRef: Encodable, Sendable { let id: String; let name: String }
    public struct CategoryRef: Encodable, Sendable { let id: String; let name: String }

    public struct Match: NullEncoding, Sendable {
        let metric: Metric
        let includes: [Metric]
        let value: Int64
        let grade: Int
        let gradeName: String
        let min: Int64?
        let max: Int64?
        let text: String?
        let source: String
    }

    public struct Authority: NullEncoding, Sendable {
        let level: Int
        let decides: [String]
        let decidesRoles: [String]
        let signs: [String]
        let signsRoles: [String]
        let proposedBy: [String]
        let precondition: String?
        let consult: [String]
        let text: String?
        let source: String
    }

    public struct Scope: NullEncoding, Sendable {
        let mode: String
        let modeName: String
        let ledBy: String?
        let handoverTo: String?
        let handoverWhen: String?
        let text: String?
        let source: String
    }

    public struct Obligation: NullEncoding, Sendable {
        let id: String
        let trigger: String
        let from: String
        let to: String
        let channel: String
        let withinMinutes: Int
        let limit: String
        let after: String?
        let startsAt: String?
        let dueAt: String?
        let assumedOccurrence: Bool
        let group: String?
        let text: String?
        let source: String
    }

    let plan: PlanRef
    let category: CategoryRef?
    let figures: [String: Int64]
    let knownAt: String
    let occurredAt: String?
    let grade: Int?
    let gradeName: String?
    let responseLevel: Int?
    let responseLevelName: String?
    let matched: [Match]
    let authority: Authority?
    let scope: Scope?
    let obligations: [Obligation]
    let leadDepartments: [LeadDepartment]

    public init(_ result: Classification, knownAt: Date, occurredAt: Date?) {
        let plan = result.plan
        self.plan = PlanRef(id: plan.id, name: plan.name)
        category = result.category.map { CategoryRef(id: $0.id, name: $0.name) }
        figures = Dictionary(uniqueKeysWithValues: result.figures.values.map { ($0.key.rawValue, $0.value) })
        self.knownAt = Timestamp.format(knownAt)
        self.occurredAt = occurredAt.map(Timestamp.format)
        grade = result.grade?.number
        gradeName = result.grade?.chineseName
        responseLevel = result.responseLevel?.number
        responseLevelName = result.responseLevel?.chineseName
        matched = result.decision.matched.map {
            Match(metric: $0.metric, includes: $0.includes, value: $0.value, grade: $0.grade.number, gradeName: $0.grade.chineseName,
                  min: $0.criterion.min, max: $0.criterion.max, text: $0.criterion.text, source: $0.source.clause)
        }
        authority = result.authority.map { view in
            Authority(
                level: view.authority.level.number,
                decides: view.decides, decidesRoles: view.authority.decides,
                signs: view.signs, signsRoles: view.authority.signs,
                proposedBy: view.proposedBy,
                precondition: view.authority.precondition?.text,
                consult: view.authority.precondition?.consult ?? [],
                text: view.authority.text,
                source: view.authority.source.clause
            )
        }
        scope = result.scope.map {
            Scope(mode: $0.mode.rawValue, modeName: $0.mode.chineseName, ledBy: $0.ledBy, handoverTo: $0.handoverTo,
                  handoverWhen: $0.handoverWhen, text: $0.text, source: $0.source.clause)
        }
        obligations = result.obligations.map {
            Obligation(
                id: $0.rule.id, trigger: $0.rule.trigger.rawValue, from: $0.rule.from, to: $0.rule.to,
                channel: $0.rule.channel.rawValue, withinMinutes: $0.rule.withinMinutes, limit: $0.rule.limitDescription,
                after: $0.rule.after, startsAt: $0.startsAt.map(Timestamp.format), dueAt: $0.dueAt.map(Timestamp.format),
                assumedOccurrence: $0.assumedOccurrence, group: $0.rule.group, text: $0.rule.text, source: $0.rule.source.clause
            )
        }
        leadDepartments = result.leadDepartments
    }
}

extension JSONEncoder {
    /// Stable, readable JSON with Chinese left as is.
    public static var yingji: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// Encodes every stored property, writing `null` for nil instead of leaving the key out, so
/// machine readers always see the documented shape (`"grade": null` means "no grade").
public protocol NullEncoding: Encodable {}

extension NullEncoding {
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: NamedKey.self)
        for child in Mirror(reflecting: self).children {
            guard let label = child.label, let value = child.value as? Encodable else { continue }
            try container.encode(AnyEncodable(value), forKey: NamedKey(label))
        }
    }
}

private struct NamedKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private struct AnyEncodable: Encodable {
    let value: Encodable
    init(_ value: Encodable) { self.value = value }
    func encode(to encoder: Encoder) throws { try value.encode(to: encoder) }
}
