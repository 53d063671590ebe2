import Testing
import YingjiCore

/// Which account roles may sign each response level, read from each seed plan's `holders:`.
@Suite struct AuthorityHolderTests {
    private func signers(_ planID: String) throws -> [Int: Set<UserRole>] {
        let plan = try TestPlans.load(planID)
        var result: [Int: Set<UserRole>] = [:]
        for level in 1...4 {
            guard let authority = plan.response.authority(for: ResponseLevel(level)!) else { continue }
            result[level] = Set(authority.signs.flatMap { plan.command.role($0)?.holders ?? [] })
        }
        return result
    }

    @Test func kunyu() throws {
        // 5.3.2: 一级、二级由师市党委、主要负责同志决定；三级指挥长；四级副指挥长.
        #expect(try signers("kunyu") == [1: [.principal], 2: [.principal], 3: [.commander], 4: [.deputyCommander]])
    }

    @Test func bachu() throws {
        #expect(try signers("bachu") == [1: [.principal], 2: [.principal], 3: [.generalCommander], 4: [.principal, .generalCommander]])
    }

    @Test func lhasa() throws {
        #expect(try signers("lhasa") == [1: [.generalCommander], 2: [.generalCommander], 3: [.commander], 4: [.deputyCommander]])
    }

    @Test func everyPlanRoleThatSignsHasAHolder() throws {
        for id in ["kunyu", "bachu", "lhasa"] {
            let plan = try TestPlans.load(id)
            for level in 1...4 {
                guard let authority = plan.response.authority(for: ResponseLevel(level)!) else { continue }
                for role in authority.signs + authority.decides where role != "prefecture-leadership" {
                    #expect(plan.command.role(role)?.holders.isEmpty == false, "\(id) \(level) \(role)")
                }
            }
        }
    }
}
