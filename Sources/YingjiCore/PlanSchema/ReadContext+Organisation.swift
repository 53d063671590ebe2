extension ReadContext {
    func warnings(_ reader: NodeReader) throws -> WarningPolicy {
        let content = try reader.optionalMap("content")
        let result = WarningPolicy(
            levels: try reader.list("levels") { item in
                WarningLevel(level: try warningLevel(item, "level"), colour: try item.string("colour"), colourName: try item.string("name"))
            },
            levelsSource: try reader.optionalString("levelsSource").map { Source(clause: $0, document: document) },
            approvals: try reader.list("approvals") { item in
                WarningApproval(
                    levels: try warningLevels(item, "levels"),
                    proposedBy: try item.strings("proposedBy"),
                    approvedBy: try item.strings("approvedBy"),
                    text: try item.text("text"),
                    source: try requiredSource(item)
                )
            },
            contentFields: try content.map { try fields($0, "fields") } ?? [],
            contentSource: try content.flatMap { try source($0) },
            channels: try reader.strings("channels"),
            specialAudiences: try reader.strings("specialAudiences"),
            actions: try reader.list("actions") { item in
                WarningActionList(levels: try warningLevels(item, "levels"), items: try items(item, "items"), source: try requiredSource(item))
            },
            adjustment: try policyText(try reader.optionalMap("adjustment")),
            lifting: try policyText(try reader.optionalMap("lifting")),
            unitWarnings: try policyText(try reader.optionalMap("unitWarnings"))
        )
        try content?.finish()
        try reader.finish()
        return result
    }

    private func warningLevels(_ reader: NodeReader, _ key: String) throws -> [Int] {
        let levels = try reader.ints(key)
        if let bad = levels.first(where: { !(1...4).contains($0) }) { throw reader.error(key, "预警级别应为 1–4，实际是 \(bad)") }
        return levels
    }

    private func warningLevel(_ reader: NodeReader, _ key: String) throws -> Int {
        let level = try reader.int(key)
        guard (1...4).contains(level) else { throw reader.error(key, "预警级别应为 1–4，实际是 \(level)") }
        return level
    }

    private func holders(_ item: NodeReader) throws -> [UserRole] {
        try item.strings("holders").map { text in
            guard let role = UserRole(rawValue: text) else {
                throw item.error("holders", "未知的账号角色「\(text)」，可用：\(UserRole.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return role
        }
    }

    private func acknowledgeWindow(_ onSite: NodeReader) throws -> Int? {
        guard let minutes = try onSite.optionalInt("acknowledgeWithinMinutes") else { return nil }
        guard (1...1440).contains(minutes) else { throw onSite.error("acknowledgeWithinMinutes", "受领时限须为 1–1440 分钟") }
        return minutes
    }

    func command(_ reader: NodeReader) throws -> CommandOrganisation {
        guard let onSite = try reader.optionalMap("onSite") else { throw reader.error("onSite", "缺少现场指挥部") }
        let onSiteSource = try requiredSource(onSite)
        let result = CommandOrganisation(
            headquarters: try body(try reader.map("headquarters")),
            office: try body(try reader.map("office")),
            roles: try reader.list("roles") { item in
                Role(id: try item.string("id"), name: try item.string("name"), holders: try holders(item), source: try source(item, required: false))
            },
            units: try reader.list("units") { item in
                Unit(
                    name: try item.string("name"),
                    kind: try enumValue(item, "kind", default: .member),
                    duties: try item.strings("duties"),
                    source: try source(item, required: false)
                )
            },
            onSite: OnSiteCommand(
                formedWhen: try onSite.text("formedWhen"),
                formedAtLevels: try responseLevels(onSite, "formedAtLevels"),
                acknowledgeWithinMinutes: try acknowledgeWindow(onSite),
                commander: try onSite.text("commander"),
                groups: try onSite.list("groups") { item in
                    WorkingGroup(
                        id: try item.string("id"),
                        name: try item.string("name"),
                        lead: try item.optionalString("lead"),
                        members: try item.strings("members"),
                        duties: try item.strings("duties"),
                        source: try requiredSource(item, fallback: onSiteSource)
                    )
                },
                guidanceGroup: try onSite.optionalMap("guidanceGroup").map { try body($0) },
                expertGroup: try onSite.optionalMap("expertGroup").map { try body($0) },
                checkIn: try policyText(try onSite.optionalMap("checkIn"), fallback: onSiteSource),
                source: onSiteSource
            )
        )
        try onSite.finish()
        try reader.finish()
        return result
    }
}
