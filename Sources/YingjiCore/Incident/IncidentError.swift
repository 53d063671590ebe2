/// Why an incident operation was refused. Each case maps to one HTTP status at the edge.
public struct IncidentError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// 422: the input is wrong; `field` names it.
        case invalid
        /// 409: the move is not allowed from the incident's state, or the version is stale.
        case conflict
        /// 403: the plan gives this decision to someone else.
        case forbidden
        /// 404
        case notFound
    }

    public let kind: Kind
    /// Stable code: `report.missing_field`, `lifecycle.illegal_move`, `response.not_authorised` …
    public let code: String
    public let message: String
    public let field: String?

    public init(_ kind: Kind, _ code: String, _ message: String, field: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { field.map { "\($0)：\(message)" } ?? message }

    static func illegal(_ move: String, from status: IncidentStatus) -> IncidentError {
        IncidentError(.conflict, "lifecycle.illegal_move", "事故处于「\(status.chineseName)」状态，不能\(move)")
    }

    static let archived = IncidentError(.conflict, "incident.archived", "事故已归档，只读，不能再修改")

    public static func staleVersion(expected: Int, actual: Int) -> IncidentError {
        IncidentError(.conflict, "incident.version_conflict", "事故已被他人修改（你的版本 \(expected)，当前版本 \(actual)），请刷新后重试", field: "version")
    }
}
