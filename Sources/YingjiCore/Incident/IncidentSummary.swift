import Foundation

/// What lists and boards show of an incident: a few values, each also kept in a column of the
/// incident's row, so a list of hundreds is read from columns without decoding any document.
public struct IncidentSummary: Sendable, Equatable {
    public let id: String
    public let jurisdiction: String
    /// The reporting unit, for an enterprise's own report.
    public let organisationID: String?
    public let status: IncidentStatus
    public let category: String?
    /// The decided grade (1 特别重大 … 4 一般), nil before one is decided.
    public let grade: Int?
    /// The response level started, nil before a response starts.
    public let level: Int?
    public let knownAt: Date
    /// The earliest deadline still open.
    public let nextDeadline: Date?
    public let overdueCount: Int
    public let version: Int
    public let updatedAt: Date

    public init(id: String, jurisdiction: String, organisationID: String?, status: IncidentStatus, category: String?, grade: Int?,
                level: Int?, knownAt: Date, nextDeadline: Date?, overdueCount: Int, version: Int, updatedAt: Date) {
        self.id = id
        self.jurisdiction = jurisdiction
        self.organisationID = organisationID
        self.status = status
        self.category = category
        self.grade = grade
        self.level = level
        self.knownAt = knownAt
        self.nextDeadline = nextDeadline
        self.overdueCount = overdueCount
        self.version = version
        self.updatedAt = updatedAt
    }

    public init(_ incident: Incident) {
        self.init(id: incident.id, jurisdiction: incident.jurisdiction, organisationID: incident.organisationID, status: incident.status,
                  category: incident.category, grade: incident.grade?.grade, level: incident.response?.level, knownAt: incident.knownAt,
                  nextDeadline: incident.nextDeadline, overdueCount: incident.overdueCount, version: incident.version, updatedAt: incident.updatedAt)
    }
}
