import Foundation

/// A jurisdiction the system serves (巴楚县, 第十四师昆玉市 …), bound to the plan that governs its
/// accidents. Incidents belong to one; a jurisdiction may sit under a parent. A higher level
/// whose own plan is not loaded (新疆生产建设兵团 above 昆玉) has no plan: it oversees the
/// incidents below it, and accidents are reported in the jurisdiction where they happened.
public struct RegisteredJurisdiction: Sendable, Equatable, Codable {
    public let id: String
    public let name: String
    public let parentID: String?
    public let planID: String?

    public init(id: String, name: String, parentID: String?, planID: String?) {
        self.id = id
        self.name = name
        self.parentID = parentID
        self.planID = planID
    }
}

/// Where jurisdictions are kept.
public protocol JurisdictionRepository: Sendable {
    func jurisdictions() async throws -> [RegisteredJurisdiction]
    /// Throws `IncidentError` `jurisdiction.exists` when the id is taken.
    func insert(_ jurisdiction: RegisteredJurisdiction) async throws
}

public actor InMemoryJurisdictionRepository: JurisdictionRepository {
    private var stored: [RegisteredJurisdiction] = []
    public init(_ initial: [RegisteredJurisdiction] = []) { stored = initial }
    public func jurisdictions() -> [RegisteredJurisdiction] { stored }
    public func insert(_ jurisdiction: RegisteredJurisdiction) throws {
        guard !stored.contains(where: { $0.id == jurisdiction.id }) else { throw IncidentError.jurisdictionExists(jurisdiction.id) }
        stored.append(jurisdiction)
    }
}

extension IncidentError {
    public static func jurisdictionExists(_ id: String) -> IncidentError {
        IncidentError(.conflict, "jurisdiction.exists", "辖区 \(id) 已存在", field: "id")
    }
}
