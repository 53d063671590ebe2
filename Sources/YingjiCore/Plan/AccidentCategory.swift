import Foundation

/// 事故类别 — an accident category the plan names, with the department that leads the response to it.
public struct AccidentCategory: Sendable, Encodable {
    public let id: String
    public let name: String
    public let aliases: [String]
    /// A broader category this one belongs to (a pressure-vessel leak is a special-equipment accident).
    public let parent: String?
    /// 牵头单位 by sub-case (Bachu 2.1.6); one entry without `subCase` when there is a single lead.
    public let leads: [LeadDepartment]
    public let source: Source?

    /// Every name a user may type for this category.
    public var allNames: [String] { [id, name] + aliases }
}

/// 牵头单位 — the department that leads the response to a category, or to one sub-case of it.
public struct LeadDepartment: Sendable, Encodable {
    /// Sub-case id (`road`, `gas`) when the plan splits the category; nil for the whole category.
    public let subCase: String?
    /// The plan's words for the sub-case (道路, 燃气、液化气).
    public let subCaseName: String?
    public let units: [String]
    public let source: Source
}

extension Plan {
    /// The plan's name for a category id, nil when the plan has no such category.
    public func categoryName(_ id: String) -> String? { categories.first { $0.id == id }?.name }

    /// The category whose id, name or alias is exactly `text`.
    public func category(named text: String) -> AccidentCategory? {
        let wanted = text.trimming(.whitespaces)
        return categories.first { $0.allNames.contains(wanted) }
    }

    /// True when `categoryID` is `ancestorID` or lies below it through `parent` links.
    public func category(_ categoryID: String, isWithin ancestorID: String) -> Bool {
        var current: String? = categoryID
        var seen: Set<String> = []
        while let id = current, seen.insert(id).inserted {
            if id == ancestorID { return true }
            current = categories.first { $0.id == id }?.parent
        }
        return false
    }

    /// True when the category satisfies a condition listing categories (any of them, or below one).
    public func category(_ categoryID: String?, isWithinAnyOf ids: [String]) -> Bool {
        guard let categoryID else { return false }
        return ids.contains { category(categoryID, isWithin: $0) }
    }
}
