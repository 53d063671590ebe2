import Foundation
import YingjiCore
import YingjiPlans

/// Shipped plans, a fixed start time, counting ids and a stand-in chain hasher for incident tests.
enum Fixture {
    static let plans = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("plans")

    static func plan(_ id: String) throws -> Plan { try PlanLibrary(directory: plans).load(id) }

    static let t0 = Timestamp.parse("2026-03-01T02:10:00+08:00")!

    static func at(_ minutes: Int) -> Date { t0.addingTimeInterval(TimeInterval(minutes * 60)) }

    /// A complete Kunyu initial report (5.1.2) with the given figures.
    static func kunyuReport(_ figures: [Metric: Int64], category: String? = "fire") -> ReportDraft {
        ReportDraft(
            kind: .initial,
            fields: ["unit": "昆玉某化工有限公司", "place": "北京工业园区", "course": "储罐区起火", "scope": "厂区内",
                     "rescueStatus": "消防救援站已到场", "trend": "火势得到控制", "measures": "疏散厂区人员"],
            figures: [.deaths: 0, .missing: 0, .seriousInjuries: 0, .directLoss: 0].merging(figures) { _, new in new },
            category: category,
            occurredAt: at(-10)
        )
    }

    static func openKunyu(_ figures: [Metric: Int64]) throws -> (Incident, [TimelineEvent], Plan) {
        let plan = try plan("kunyu")
        let (incident, events) = try Incident.open(id: "inc-1", plan: plan, jurisdiction: "kunyu", report: kunyuReport(figures),
                                                   knownAt: t0, actor: "值班员张三", now: t0, ids: CountingIDs())
        return (incident, events, plan)
    }
}

final class CountingIDs: IDGenerator, @unchecked Sendable {
    private var counter = 0
    private let lock = NSLock()

    func next(_ prefix: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        counter += 1
        return "\(prefix)-\(counter)"
    }
}

/// Stands in for SHA-256 in core tests: the chain logic is the same whatever the hash.
struct TestHasher: ChainHasher {
    func hash(previous: String, canonical: Data) -> String {
        Digest.fnv1a(previous + String(decoding: canonical, as: UTF8.self))
    }
}

extension Incident {
    func obligation(_ ruleID: String) -> Obligation? { obligations.first { $0.ruleID == ruleID } }
}
