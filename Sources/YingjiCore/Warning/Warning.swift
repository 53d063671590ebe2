import Foundation

/// 预警 — a warning from its draft to its lifting. Every version (the first and each 调整) is
/// kept with who submitted, approved and published it; nothing is published without the
/// approval of the body the plan names for its level.
public struct Warning: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case draft, submitted, approved, published, lifted

        public var chineseName: String {
            switch self {
            case .draft: return "草稿"
            case .submitted: return "待审批"
            case .approved: return "已审批待发布"
            case .published: return "已发布"
            case .lifted: return "已解除"
            }
        }
    }

    public let id: String
    public let planID: String
    public let jurisdiction: String
    public var status: Status
    /// Oldest first; the last is the one being drafted, approved or in force.
    public var versions: [WarningVersion]
    /// The plan post that published the first version: only it may lift the warning (谁发布、谁解除).
    public var issuerPost: String?
    public var liftedAt: Date?
    public var liftedBy: String?
    /// The plan's measures for the level in force, as tracked tasks.
    public var actions: [WarningAction]
    /// The incident it concerns, or that it led to.
    public var incidentID: String?
    /// Set for a production unit's own warning (Kunyu 4.2.2, Bachu 3.3): the unit publishes and
    /// lifts it itself, and it is reported upward when published.
    public var unit: WarningUnit?
    /// Jurisdictions told of it besides its own: the ones above a unit warning, and neighbours
    /// it may affect. They see it as their own jurisdiction's.
    public var notified: [String]
    public var version: Int
    public let createdAt: Date
    public var updatedAt: Date

    public var current: WarningVersion? { versions.last }
    /// The version in force: the last published one (an adjustment awaiting approval is not yet in force).
    public var inForce: WarningVersion? { versions.last { $0.publishedAt != nil } }
}

/// The production unit that issued a unit warning.
public struct WarningUnit: Sendable, Codable, Equatable {
    public let organisationID: String
    public let name: String
    public init(organisationID: String, name: String) {
        self.organisationID = organisationID
        self.name = name
    }

    /// The post a unit warning is published and lifted in.
    public var post: String { "unit:\(organisationID)" }
}

/// What a warning says (Kunyu 4.2.4, Bachu 3.3.2), and its approval record.
public struct WarningVersion: Sendable, Codable, Equatable {
    public var number: Int
    public var content: WarningContent
    public var submittedBy: String?
    public var submittedAt: Date?
    /// The plan post that approved it, and who acted for it.
    public var approvedPost: String?
    public var approvedBy: String?
    public var approvedAt: Date?
    /// An adjustment's own approval where the plan names one (Lhasa 3.2: 总指挥批准后调整).
    public var adjustmentApprovedPost: String?
    public var adjustmentApprovedBy: String?
    public var adjustmentApprovedAt: Date?
    /// Why it was sent back by the approver (退回), if it was.
    public var returnedReason: String?
    public var publishedBy: String?
    public var publishedAt: Date?
    /// Why the level was adjusted (from the second version on).
    public var reason: String?
}

public struct WarningContent: Sendable, Codable, Equatable {
    /// 1 红 / 2 橙 / 3 黄 / 4 蓝
    public var level: Int
    public var issuer: String
    public var category: String
    public var startsAt: Date
    public var endsAt: Date?
    public var area: WarningArea
    /// 警示事项
    public var warnings: String
    /// 事态发展
    public var developments: String
    /// 相关应对措施
    public var measures: String
    /// 咨询电话
    public var hotline: String
    public var channels: [String]
    public var specialAudiences: [String]

    public init(level: Int, issuer: String, category: String, startsAt: Date, endsAt: Date? = nil, area: WarningArea, warnings: String,
                developments: String, measures: String, hotline: String, channels: [String], specialAudiences: [String]) {
        self.level = level
        self.issuer = issuer
        self.category = category
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.area = area
        self.warnings = warnings
        self.developments = developments
        self.measures = measures
        self.hotline = hotline
        self.channels = channels
        self.specialAudiences = specialAudiences
    }
}

/// 可能影响范围: in words, and as a polygon or a circle when known (WGS 84, for CAP).
public struct WarningArea: Sendable, Codable, Equatable {
    public struct Point: Sendable, Codable, Equatable {
        public let latitude: Double
        public let longitude: Double
        public init(latitude: Double, longitude: Double) {
            self.latitude = latitude
            self.longitude = longitude
        }
    }

    public var description: String
    public var polygon: [Point]?
    public var circle: Circle?

    public struct Circle: Sendable, Codable, Equatable {
        public let centre: Point
        public let radiusKilometres: Double
        public init(centre: Point, radiusKilometres: Double) {
            self.centre = centre
            self.radiusKilometres = radiusKilometres
        }
    }

    public init(description: String, polygon: [Point]? = nil, circle: Circle? = nil) {
        self.description = description
        self.polygon = polygon
        self.circle = circle
    }

    /// The polygon as CAP writes it: `lat,lon` pairs separated by spaces, closed (first = last).
    public var capPolygon: String? {
        guard var points = polygon, let first = points.first else { return nil }
        if points.last != first { points.append(first) }
        return points.map(\.capText).joined(separator: " ")
    }

    /// The circle as CAP writes it: `lat,lon radius` (kilometres).
    public var capCircle: String? {
        circle.map { "\($0.centre.capText) \(Self.number($0.radiusKilometres))" }
    }

    /// Reads CAP's polygon text (`lat,lon lat,lon …`); nil when a pair is not two numbers.
    public static func parsePolygon(_ text: String) -> [Point]? {
        let pairs = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }).map(String.init)
        var points: [Point] = []
        for pair in pairs {
            guard let point = Point(capText: pair) else { return nil }
            points.append(point)
        }
        // A closed ring repeats its first point; keep it once (then at least three must remain).
        if points.count > 1, points.first == points.last { points.removeLast() }
        return points.isEmpty ? nil : points
    }

    /// Reads CAP's circle text (`lat,lon radius`); nil when it is not that shape.
    public static func parseCircle(_ text: String) -> Circle? {
        let parts = text.split(separator: " ").map(String.init)
        guard parts.count == 2, let centre = Point(capText: parts[0]), let radius = Double(parts[1]), radius.isFinite else { return nil }
        return Circle(centre: centre, radiusKilometres: radius)
    }

    /// Plain decimals (CAP takes no exponents), at most seven places: about a centimetre.
    static func number(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e9 else { return "0" }
        let scaled = (abs(value) * 10_000_000).rounded()
        let whole = Int64(scaled) / 10_000_000
        var fraction = String(Int64(scaled) % 10_000_000)
        fraction = String(repeating: "0", count: 7 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let sign = value < 0 && scaled > 0 ? "-" : ""
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }
}

extension WarningArea.Point {
    init?(capText: String) {
        let parts = capText.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let latitude = Double(parts[0]), let longitude = Double(parts[1]) else { return nil }
        self.init(latitude: latitude, longitude: longitude)
    }

    var capText: String { "\(WarningArea.number(latitude)),\(WarningArea.number(longitude))" }
}

/// One of the plan's measures for the level, to be carried out once the warning is out.
public struct WarningAction: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable { case pending, done, notApplicable }

    public let id: String
    public let itemID: String
    public let text: String
    public let source: String
    /// The level it was set for; measures of an earlier level are kept when the level changes.
    public let level: Int
    public var owner: String?
    public var status: Status
    public var note: String?
    public var doneBy: String?
    public var doneAt: Date?
}
