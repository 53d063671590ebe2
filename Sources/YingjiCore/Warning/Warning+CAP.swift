import Foundation

/// How a warning's colour reads in CAP 1.2 (docs/cap.md prints this table). Chinese warning
/// colours rank the expected harm and how soon it comes; CAP splits that into three fields.
public struct CAPGrading: Sendable, Equatable {
    public let severity: String
    public let urgency: String
    public let certainty: String

    /// red → Extreme/Immediate/Likely, orange → Severe/Expected/Likely, yellow → Moderate/Expected/Possible,
    /// blue → Minor/Future/Possible. A colour the table lacks reads as Unknown.
    public static let byColour: [String: CAPGrading] = [
        "red": CAPGrading(severity: "Extreme", urgency: "Immediate", certainty: "Likely"),
        "orange": CAPGrading(severity: "Severe", urgency: "Expected", certainty: "Likely"),
        "yellow": CAPGrading(severity: "Moderate", urgency: "Expected", certainty: "Possible"),
        "blue": CAPGrading(severity: "Minor", urgency: "Future", certainty: "Possible"),
    ]

    public static let unknown = CAPGrading(severity: "Unknown", urgency: "Unknown", certainty: "Unknown")
}

/// One CAP message of a warning: Alert when first published, Update for each adjustment
/// published, Cancel when lifted; each refers to all the earlier ones.
public struct CAPMessage: Sendable, Equatable {
    public let number: Int
    public let msgType: String
    public let sent: Date
    /// The version whose content it carries.
    public let version: WarningVersion
}

extension Plan {
    /// "拉萨市黄色预警：危险化学品事故": how a warning in force is headed (CAP, the feed, the public page).
    public func warningHeadline(_ content: WarningContent, jurisdictionName: String) -> String {
        "\(jurisdictionName)\(colourName(content.level))预警：\(content.category)"
    }
}

extension Warning {
    /// The CAP messages this warning has given rise to, oldest first.
    public var capMessages: [CAPMessage] {
        var messages: [CAPMessage] = []
        for version in versions {
            guard let published = version.publishedAt else { continue }
            messages.append(CAPMessage(number: messages.count + 1, msgType: messages.isEmpty ? "Alert" : "Update", sent: published, version: version))
        }
        if let liftedAt, let last = inForce {
            messages.append(CAPMessage(number: messages.count + 1, msgType: "Cancel", sent: liftedAt, version: last))
        }
        return messages
    }

    public static func capSender(jurisdiction: String) -> String { "yingji:\(jurisdiction)" }

    public func capIdentifier(_ number: Int) -> String { "\(id).\(number)" }

    /// The OASIS CAP 1.2 document for message `number` (the latest when nil), or nil if there is
    /// none (the warning was never published). Times are in Beijing time (+08:00); CAP forbids `Z`.
    public func cap(number: Int? = nil, plan: Plan, jurisdictionName: String, liftReason: String? = nil, web: String? = nil) -> String? {
        let messages = capMessages
        guard let message = number.map({ wanted in messages.first { $0.number == wanted } }) ?? messages.last else { return nil }
        let sender = Self.capSender(jurisdiction: jurisdiction)
        let content = message.version.content
        let level = plan.warnings.levels.first { $0.level == content.level }
        let grading = level.flatMap { CAPGrading.byColour[$0.colour] } ?? .unknown
        let colourName = plan.colourName(content.level)
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml += #"<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">"# + "\n"
        func element(_ name: String, _ value: String?, indent: String = "  ") {
            guard let value, !value.isBlank else { return }
            xml += "\(indent)<\(name)>\(Self.xmlEscaped(value))</\(name)>\n"
        }
        element("identifier", capIdentifier(message.number))
        element("sender", sender)
        element("sent", Self.capTime(message.sent))
        element("status", "Actual")
        element("msgType", message.msgType)
        element("scope", "Public")
        switch message.msgType {
        case "Update": element("note", "预警调整：\(message.version.reason ?? "")")
        case "Cancel": element("note", "预警解除" + (liftReason.map { "：\($0)" } ?? ""))
        default: break
        }
        let earlier = messages.filter { $0.number < message.number }
        if !earlier.isEmpty {
            element("references", earlier.map { "\(sender),\(capIdentifier($0.number)),\(Self.capTime($0.sent))" }.joined(separator: " "))
        }
        element("incidents", incidentID)
        xml += "  <info>\n"
        let inner = "    "
        element("language", "zh-CN", indent: inner)
        element("category", "Safety", indent: inner)
        element("event", content.category, indent: inner)
        element("responseType", message.msgType == "Cancel" ? "AllClear" : "Prepare", indent: inner)
        element("urgency", message.msgType == "Cancel" ? "Past" : grading.urgency, indent: inner)
        element("severity", grading.severity, indent: inner)
        element("certainty", message.msgType == "Cancel" ? "Unlikely" : grading.certainty, indent: inner)
        xml += "\(inner)<eventCode>\n\(inner)  <valueName>YJ-WARNING-LEVEL</valueName>\n\(inner)  <value>\(content.level)</value>\n\(inner)</eventCode>\n"
        element("effective", Self.capTime(message.version.publishedAt ?? message.sent), indent: inner)
        element("onset", Self.capTime(content.startsAt), indent: inner)
        element("expires", content.endsAt.map(Self.capTime), indent: inner)
        element("senderName", content.issuer, indent: inner)
        let headline = message.msgType == "Cancel" ? "\(jurisdictionName)解除\(colourName)预警：\(content.category)"
            : plan.warningHeadline(content, jurisdictionName: jurisdictionName)
        element("headline", headline, indent: inner)
        element("description", [content.developments, content.warnings].filter { !$0.isEmpty }.joined(separator: "\n"), indent: inner)
        element("instruction", message.msgType == "Cancel" ? "预警解除，终止预警行动，解除已经采取的有关措施。" : content.measures, indent: inner)
        element("web", web, indent: inner)
        element("contact", content.hotline, indent: inner)
        let parameters = [("预警级别", "\(colourName)（\(content.level)级）"), ("发布渠道", content.channels.joined(separator: "、")),
                          ("特殊人群和场所", content.specialAudiences.joined(separator: "、"))]
        for (name, value) in parameters where !value.isEmpty {
            xml += "\(inner)<parameter>\n\(inner)  <valueName>\(Self.xmlEscaped(name))</valueName>\n\(inner)  <value>\(Self.xmlEscaped(value))</value>\n\(inner)</parameter>\n"
        }
        xml += "\(inner)<area>\n"
        element("areaDesc", content.area.description, indent: inner + "  ")
        element("polygon", content.area.capPolygon, indent: inner + "  ")
        element("circle", content.area.capCircle, indent: inner + "  ")
        xml += "\(inner)</area>\n  </info>\n</alert>\n"
        return xml
    }

    /// `2026-03-01T10:10:00+08:00`, whole seconds.
    public static func capTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { let v = value ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day))T\(two(c.hour)):\(two(c.minute)):\(two(c.second))+08:00"
    }

    static func xmlEscaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            // XML 1.0 has no place for other control characters or U+FFFE/U+FFFF: left out.
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
