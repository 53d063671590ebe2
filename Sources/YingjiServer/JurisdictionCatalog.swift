import Foundation
import YingjiCore
import YingjiPlans

/// The jurisdictions served and the plan bound to each, loaded once at start-up and kept in
/// memory: every report asks for its plan, so this must not touch the disk or the database.
public final class JurisdictionCatalog: PlanCatalog, @unchecked Sendable {
    private let library: PlanLibrary
    private let repository: JurisdictionRepository
    private let lock = NSLock()
    private var byID: [String: RegisteredJurisdiction] = [:]
    private var plans: [String: Plan] = [:]
    private var cachedTree: JurisdictionTree?

    public init(library: PlanLibrary, repository: JurisdictionRepository) {
        self.library = library
        self.repository = repository
    }

    /// Reads the stored jurisdictions and loads their plans; a plan that fails to load stops start-up.
    public func load() async throws {
        for jurisdiction in try await repository.jurisdictions() {
            let plan = try jurisdiction.planID.map { try self.plan(id: $0) }
            lock.withLock {
                byID[jurisdiction.id] = jurisdiction
                if let plan { plans[plan.id] = plan }
                cachedTree = nil
            }
        }
    }

    /// The jurisdictions as a tree, for access checks (rebuilt when one is added).
    public var tree: JurisdictionTree {
        lock.withLock {
            if let cachedTree { return cachedTree }
            let tree = JurisdictionTree(Array(byID.values))
            cachedTree = tree
            return tree
        }
    }

    public func plan(forJurisdiction jurisdiction: String) -> Plan? {
        lock.withLock { byID[jurisdiction]?.planID.flatMap { plans[$0] } }
    }

    public func plan(id: String) throws -> Plan {
        if let cached = lock.withLock({ plans[id] }) { return cached }
        let plan = try library.load(id)
        lock.withLock { plans[id] = plan }
        return plan
    }

    public var jurisdictions: [RegisteredJurisdiction] {
        lock.withLock { byID.values.sorted { $0.id < $1.id } }
    }

    public func jurisdiction(_ id: String) -> RegisteredJurisdiction? { lock.withLock { byID[id] } }

    /// The plan files available to bind (`kunyu`, `bachu` …).
    public func availablePlanIDs() -> [String] { (try? library.planIDs()) ?? [] }

    /// Stores a new jurisdiction after checking its plan loads and its parent exists.
    public func register(_ jurisdiction: RegisteredJurisdiction) async throws {
        guard NameRule.jurisdiction.matches(jurisdiction.id) else {
            throw IncidentError(.invalid, "jurisdiction.invalid_id", "辖区标识须为小写字母、数字或连字符（最多 63 个字符）", field: "id")
        }
        guard !jurisdiction.name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw IncidentError(.invalid, "jurisdiction.missing_name", "须填写辖区名称", field: "name")
        }
        if let parent = jurisdiction.parentID, self.jurisdiction(parent) == nil {
            throw IncidentError(.invalid, "jurisdiction.unknown_parent", "上级辖区「\(parent)」不存在", field: "parentID")
        }
        var plan: Plan?
        if let planID = jurisdiction.planID {
            let available = availablePlanIDs()
            guard available.contains(planID), let loaded = try? self.plan(id: planID) else {
                throw IncidentError(.invalid, "jurisdiction.unknown_plan", "没有预案「\(planID)」，可选：\(available.joined(separator: "、"))", field: "planID")
            }
            plan = loaded
        }
        try await repository.insert(jurisdiction)
        lock.withLock {
            byID[jurisdiction.id] = jurisdiction
            if let plan { plans[plan.id] = plan }
            cachedTree = nil
        }
    }
}
