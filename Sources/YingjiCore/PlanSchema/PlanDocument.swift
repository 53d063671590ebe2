/// One plan file as written, before inheritance is applied: a plan (`kind: plan`) or the shared
/// base rules every plan inherits (`kind: base`, the national regulation).
public struct PlanDocument: Sendable {
    public enum Kind: String, Sendable { case plan, base }

    public let kind: Kind
    public let id: String
    public let name: String
    public let file: String
    public let inherits: String?
    public let jurisdiction: Jurisdiction?
    public let issuer: String?
    public let year: Int?
    public let status: String?

    let categories: [AccidentCategory]
    let grading: GradingTable?
    let rules: [ObligationRule]
    let escalation: EscalationRule?
    let chain: [ChainLink]
    let initialReport: (fields: [ContentField], source: Source)?
    let followUp: (fields: [ContentField], source: Source)?
    let response: ResponsePolicy?
    let warnings: WarningPolicy?
    let command: CommandOrganisation?
    let termination: Termination?
    let aftermath: Aftermath?
    let investigation: [InvestigationRule]
    let management: PlanManagement?
    /// Rules written without `source:` (reported by `plan check`).
    public internal(set) var sourceless: [PlanFileError]
    /// A digest of the file's text, for the plan version.
    public let digest: String
}

/// 逐级上报 — "each level up within N" (条例第十一条), to the level set by the grade (第十条).
///
/// Composition turns it into one `ObligationRule` per link of the plan's reporting chain,
/// with ids `<id>-<level>` (e.g. `escalate-province`) that plans may override.
struct EscalationRule: Sendable {
    let id: String
    let after: String
    let withinMinutesPerLevel: Int
    let channel: Channel
    /// The highest level a report of each grade must reach.
    let reach: [(grade: Grade, level: JurisdictionLevel)]
    let text: String?
    let source: Source
}
