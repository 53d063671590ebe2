/// Builds a `Plan` from a plan document and the base it inherits (the national rules).
///
/// What a plan inherits, and how it overrides it:
/// - categories: the base's and the plan's; a plan category with the same id replaces the base's.
/// - grading, initial/follow-up report content, investigation: the plan's own if it has them, else the base's.
/// - reporting rules: the base's and the plan's. A plan rule with `overrides: [id]` replaces the
///   inherited rule wherever the plan rule applies (same grade and category); a plan rule with the
///   same id as an inherited one replaces it everywhere.
/// - escalation (逐级上报): the base's, expanded over the plan's reporting chain into one rule per
///   level above the first link, `escalate-prefecture`, `escalate-province`, … which plans may override.
public enum PlanComposer {
    public static func compose(_ document: PlanDocument, base: PlanDocument?) throws -> Plan {
        func missing(_ field: String, _ message: String) -> PlanFileError {
            PlanFileError(file: document.file, line: nil, field: field, message: message)
        }
        guard document.kind == .plan else { throw missing("kind", "这是共用规则文件（kind: base），不能单独作为预案使用") }
        if let wanted = document.inherits, base?.id != wanted {
            throw missing("inherits", "找不到所继承的规则「\(wanted)」")
        }
        guard let jurisdiction = document.jurisdiction, let issuer = document.issuer, let year = document.year else {
            throw missing("jurisdiction", "预案缺少辖区、发布机关或年份")
        }
        guard let grading = document.grading ?? base?.grading else {
            throw missing("grading", "预案没有分级标准，也没有可继承的分级标准")
        }
        guard let response = document.response else { throw missing("response", "预案缺少分级响应（response）") }
        guard let command = document.command else { throw missing("command", "预案缺少组织指挥体系（command）") }

        let chain = document.chain.isEmpty ? (base?.chain ?? []) : document.chain
        let escalation = document.escalation ?? base?.escalation
        let generated = escalation.map { expand($0, over: chain) } ?? []
        let inheritedRules = (base?.rules ?? []) + generated
        let ownIDs = Set(document.rules.map(\.id))
        let rules = inheritedRules.filter { !ownIDs.contains($0.id) } + document.rules

        let baseCategories = (base?.categories ?? []).filter { inherited in !document.categories.contains { $0.id == inherited.id } }
        let initial = document.initialReport ?? base?.initialReport
        let followUp = document.followUp ?? base?.followUp
        let aftermath = document.aftermath ?? Aftermath(items: [], itemsSource: nil, summarySections: [], summarySubmittedTo: nil, summarySource: nil, archive: nil, investigation: [])

        return Plan(
            id: document.id,
            name: document.name,
            jurisdiction: jurisdiction,
            issuer: issuer,
            year: year,
            version: "\(document.id)@\(Digest.fnv1a(document.digest + (base?.digest ?? "")))",
            status: document.status,
            file: document.file,
            inherits: document.inherits,
            categories: baseCategories + document.categories,
            grading: grading,
            response: response,
            reporting: ReportingRules(
                rules: rules,
                chain: chain,
                initialReportFields: initial?.fields ?? [],
                initialReportSource: initial?.source,
                followUpFields: followUp?.fields ?? [],
                followUpSource: followUp?.source
            ),
            warnings: document.warnings ?? WarningPolicy(levels: [], levelsSource: nil, approvals: [], contentFields: [], contentSource: nil, channels: [], specialAudiences: [], actions: [], adjustment: nil, lifting: nil, unitWarnings: nil),
            command: command,
            termination: document.termination ?? Termination(conditions: [], confirmedBy: nil, suspension: nil, source: response.ending.source),
            aftermath: Aftermath(
                items: aftermath.items,
                itemsSource: aftermath.itemsSource,
                summarySections: aftermath.summarySections,
                summarySubmittedTo: aftermath.summarySubmittedTo,
                summarySource: aftermath.summarySource,
                archive: aftermath.archive,
                investigation: document.investigation.isEmpty ? (base?.investigation ?? []) : document.investigation
            ),
            management: document.management ?? PlanManagement(filing: nil, evaluationEveryYears: nil, evaluationSource: nil, drills: [], revisionTriggers: [], revisionSource: nil),
            sourceless: (base?.sourceless ?? []) + document.sourceless
        )
    }

    /// One rule per chain link above the first: the report climbs one level, each within the limit,
    /// and only as far as the grade requires (条例第十条).
    static func expand(_ escalation: EscalationRule, over chain: [ChainLink]) -> [ObligationRule] {
        var rules: [ObligationRule] = []
        var previous = escalation.after
        for (index, link) in chain.enumerated() where index > 0 {
            let grades = escalation.reach.filter { $0.level >= link.level }.map(\.grade).sorted { $0.number < $1.number }
            guard !grades.isEmpty else { break }
            let id = "\(escalation.id)-\(link.level.rawValue)"
            rules.append(ObligationRule(
                id: id,
                trigger: .accidentKnown,
                when: RuleCondition(grades: grades, categories: [], exceptCategories: []),
                after: previous,
                clockFrom: .known,
                from: chain[index - 1].body,
                to: link.body,
                channel: escalation.channel,
                withinMinutes: escalation.withinMinutesPerLevel,
                overrides: [],
                group: nil,
                text: escalation.text,
                source: escalation.source
            ))
            previous = id
        }
        return rules
    }
}
