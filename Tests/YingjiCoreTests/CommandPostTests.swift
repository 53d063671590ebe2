import Foundation
import Testing
@testable import YingjiCore

/// 现场指挥部: set up from the plan when a response starts, tasks acknowledged or escalated at
/// the exact minute, the task state machine, forces on scene, the lead department.
@Suite struct CommandPostTests {
    let ids = CountingIDs()

    /// An incident of `planID` reported at t0, verified and responding at `level` from minute 5.
    func responding(_ planID: String, level: Int, decidedBy: String, signedBy: String, precondition: String? = nil,
                    category: String? = "fire") throws -> (Incident, [TimelineEvent], Plan) {
        let plan = try Fixture.plan(planID)
        var fields: [String: String] = [:]
        for field in plan.reporting.initialReportFields where Metric(rawValue: field.id) == nil && !["occurredAt", "category"].contains(field.id) {
            fields[field.id] = "测试：\(field.name)"
        }
        let draft = ReportDraft(kind: .initial, fields: fields, figures: [.deaths: 3, .missing: 0, .seriousInjuries: 0, .directLoss: 0],
                                category: category, occurredAt: Fixture.at(-10))
        var (incident, _) = try Incident.open(id: "inc-\(planID)", plan: plan, jurisdiction: planID, report: draft, knownAt: Fixture.t0,
                                              actor: "值班员", now: Fixture.t0, ids: ids)
        _ = try incident.apply(.verify(note: nil), plan: plan, actor: "值班员", now: Fixture.at(2), ids: ids)
        let events = try incident.apply(.startResponse(level: level, decidedBy: decidedBy, signedBy: signedBy, precondition: precondition),
                                        plan: plan, actor: "指挥长", now: Fixture.at(5), ids: ids)
        return (incident, events, plan)
    }

    @Test func startingKunyuLevel3SetsUpItsNineGroupsWithTheirLeads() throws {
        let (incident, events, _) = try responding("kunyu", level: 3, decidedBy: "commander", signedBy: "commander")
        let post = try #require(incident.commandPost)
        #expect(post.groups.map(\.name) == ["综合协调组", "抢险救援组", "宣传信息组", "治安交通组", "医疗救护组", "环境监测组", "应急保障组",
                                             "善后处置组", "专家咨询组"])
        #expect(post.groups.first { $0.id == "rescue" }?.lead == "师市应急管理局")
        #expect(post.groups.first { $0.id == "publicity" }?.lead == "师市党委宣传部")
        // 附件2 leaves 综合协调组 to the category's department; Kunyu's fire category names none, so it stays as written.
        #expect(post.groups.first { $0.id == "coordination" }?.lead == "事故类别行业主管部门")
        #expect(post.groups.allSatisfy { $0.source == "附件2" && $0.status == .active })
        #expect(post.commander == "现场指挥部总指挥")
        #expect(events.map(\.kind).contains("command.established"))
    }

    @Test func startingBachuLevel4SetsUpItsTenGroupsAndTheFireBrigadeLeads() throws {
        let (incident, _, _) = try responding("bachu", level: 4, decidedBy: "commander", signedBy: "commander")
        let post = try #require(incident.commandPost)
        #expect(post.groups.map(\.name) == ["综合协调组", "事故救援组", "交通管制组", "医疗救护组", "环境监测组", "安全保卫组", "应急保障组",
                                             "新闻宣传组", "善后处置组", "专家咨询组"])
        // The seed text of Bachu 2.1.5 names no leads (its 附件 are not in the seeds): none is invented.
        #expect(post.groups.allSatisfy { $0.lead == nil })
        // 2.1.6(1): fires are led by the county fire brigade, suggested at report time.
        #expect(incident.leadDepartment?.suggestions.map(\.units) == [["巴楚县消防救援大队"]])
        #expect(incident.leadDepartment?.suggestions.first?.source == "2.1.6(1)")
    }

    @Test func lhasaFormsItsTwelveGroupsAtLevel3ButNotAtLevel4() throws {
        let (incident, _, plan) = try responding("lhasa", level: 3, decidedBy: "hq", signedBy: "commander")
        let post = try #require(incident.commandPost)
        #expect(post.groups.map(\.name) == ["综合协调组", "专业处置组", "警戒疏散组", "交通管制组", "综合保障组", "医疗救护组", "环境保护组",
                                             "通信保障组", "综合信息组", "新闻发布组", "现场专家组", "事故调查组"])
        #expect(post.groups.map(\.lead) == ["市应急管理局", "市消防救援支队", "市公安局", "市公安局", "事发地县（区）政府", "市卫生健康委员会",
                                             "市生态环境局", "市经济信息化局", "市应急管理局", "市委宣传部", "市应急管理局", "市应急管理局"])
        // 2.4: the on-site HQ is formed for levels 1–3 only.
        let authority = try #require(plan.response.authority(for: ResponseLevel(4)!))
        var (lesser, _, _) = try responding("lhasa", level: 4, decidedBy: authority.decides[0], signedBy: authority.signs[0])
        #expect(lesser.commandPost == nil)
        // Handed over, then raised to level 3: the HQ set up then is under the higher HQ.
        _ = try lesser.apply(.handOverCommand(to: "市生产安全事故应急指挥部", handedOverBy: "县（区）指挥长", receivedBy: "市指挥长"),
                             plan: plan, actor: "指挥长", now: Fixture.at(20), ids: ids)
        let three = try #require(plan.response.authority(for: ResponseLevel(3)!))
        _ = try lesser.apply(.changeLevel(level: 3, reason: "伤亡扩大", signedBy: three.signs[0]), plan: plan, actor: "指挥长", now: Fixture.at(30), ids: ids)
        #expect(lesser.commandPost?.commander == "市生产安全事故应急指挥部")
        #expect(lesser.commandPost?.groups.count == 12)
    }

    @Test func anUnacknowledgedTaskEscalatesToTheGroupLeadThenTheCommanderAtTheMinute() throws {
        var (incident, _, _) = try responding("kunyu", level: 3, decidedBy: "commander", signedBy: "commander")
        _ = try incident.applyCommand(.createTask(title: "搜救 3 号罐区被困人员", groupID: "rescue",
                                                  assignee: .init(kind: .group, id: "rescue", name: "抢险救援组"), dueAt: nil, acknowledgeWithinMinutes: nil),
                                      actor: "总指挥", now: Fixture.at(10), ids: ids)
        let task = try #require(incident.commandPost?.tasks.first)
        // Default 10 minutes: due at minute 20; the sweep asks again then (the obligations due
        // earlier are overdue by now, so the task's escalation is the earliest thing pending).
        #expect(task.acknowledgeBy == Fixture.at(20))
        #expect(incident.commandPost?.nextEscalation == Fixture.at(20))
        _ = incident.markOverdue(now: Fixture.at(11))
        #expect(incident.earliestPendingDue == Fixture.at(20))
        #expect(incident.escalateTasks(now: Fixture.at(19)).isEmpty)
        let first = incident.escalateTasks(now: Fixture.at(20))
        #expect(first.map(\.kind) == ["task.escalated"])
        #expect(incident.commandPost?.tasks.first?.escalations == [CommandTask.Escalation(level: 1, to: "师市应急管理局", at: Fixture.at(20))])
        #expect(incident.escalateTasks(now: Fixture.at(29)).isEmpty)
        _ = incident.escalateTasks(now: Fixture.at(30))
        #expect(incident.commandPost?.tasks.first?.escalations.last == CommandTask.Escalation(level: 2, to: "现场指挥部总指挥", at: Fixture.at(30)))
        // As far as it goes: no third step, and acknowledging late is recorded as late.
        #expect(incident.escalateTasks(now: Fixture.at(90)).isEmpty)
        let ack = try incident.applyCommand(.moveTask(id: task.id, .acknowledge), actor: "应急管理局", now: Fixture.at(31), ids: ids)
        #expect(ack.first?.payload == ["taskID": .string(task.id), "from": "assigned", "to": "acknowledged", "late": true])
    }

    @Test func aTaskForAUnitWithoutGroupLeadGoesStraightToTheCommanderAndATaskCanSetItsOwnWindow() throws {
        var (incident, _, _) = try responding("kunyu", level: 3, decidedBy: "commander", signedBy: "commander")
        _ = try incident.applyCommand(.createTask(title: "封控周边道路", groupID: nil, assignee: .init(kind: .unit, id: "kunyu-police", name: "师市公安局"),
                                                  dueAt: Fixture.at(60), acknowledgeWithinMinutes: 3), actor: "总指挥", now: Fixture.at(10), ids: ids)
        #expect(incident.escalateTasks(now: Fixture.at(12)).isEmpty)
        _ = incident.escalateTasks(now: Fixture.at(13))
        #expect(incident.commandPost?.tasks.first?.escalations == [CommandTask.Escalation(level: 2, to: "现场指挥部总指挥", at: Fixture.at(13))])
        // Escalated as far as it goes; what is left to watch is its due time.
        #expect(incident.commandPost?.nextEscalation == Fixture.at(60))
    }

    @Test func aTaskNotDoneByItsDueTimeTurnsOverdueAtTheMinuteOnceAndStaysOnTheRecord() throws {
        var (incident, _, _) = try responding("kunyu", level: 3, decidedBy: "commander", signedBy: "commander")
        _ = try incident.applyCommand(.createTask(title: "封控周边道路", groupID: nil, assignee: .init(kind: .unit, id: "kunyu-police", name: "师市公安局"),
                                                  dueAt: Fixture.at(60), acknowledgeWithinMinutes: 30), actor: "总指挥", now: Fixture.at(10), ids: ids)
        _ = try incident.applyCommand(.createTask(title: "清点人数", groupID: nil, assignee: .init(kind: .person, id: "王五", name: "王五"),
                                                  dueAt: Fixture.at(50), acknowledgeWithinMinutes: 30), actor: "总指挥", now: Fixture.at(10), ids: ids)
        _ = try incident.applyCommand(.createTask(title: "无时限的任务", groupID: nil, assignee: .init(kind: .person, id: "赵六", name: "赵六"),
                                                  dueAt: nil, acknowledgeWithinMinutes: 30), actor: "总指挥", now: Fixture.at(10), ids: ids)
        let tasks = try #require(incident.commandPost?.tasks)
        for task in tasks { _ = try incident.applyCommand(.moveTask(id: task.id, .acknowledge), actor: "受领人", now: Fixture.at(11), ids: ids) }
        // The second is done in time and never turns overdue; the sweep watches the first's due time.
        let done = try incident.applyCommand(.moveTask(id: tasks[1].id, .complete(note: nil)), actor: "王五", now: Fixture.at(49), ids: ids)
        #expect(done.first?.payload["late"] == false)
        _ = incident.markOverdue(now: Fixture.at(59))
        #expect(incident.commandPost?.nextEscalation == Fixture.at(60))
        #expect(incident.earliestPendingDue == Fixture.at(60))
        #expect(incident.escalateTasks(now: Fixture.at(59)).isEmpty)
        let overdue = incident.escalateTasks(now: Fixture.at(60))
        #expect(overdue.map(\.kind) == ["task.overdue"])
        #expect(overdue.first?.payload == ["taskID": .string(tasks[0].id), "title": "封控周边道路", "dueAt": .time(Fixture.at(60)),
                                           "assignee": "师市公安局", "status": "acknowledged", "to": .string(incident.commandPost?.commander ?? "")])
        var first = try #require(incident.commandPost?.tasks.first)
        #expect(first.overdueAt == Fixture.at(60) && first.isOverdue)
        #expect(incident.commandPost?.tasks.filter(\.isOverdue).map(\.id) == [tasks[0].id])
        // Once: nothing more to watch, and a later sweep adds nothing.
        #expect(incident.commandPost?.nextEscalation == nil)
        #expect(incident.escalateTasks(now: Fixture.at(120)).isEmpty)
        // Done late: recorded as late, no longer overdue, and when it fell due stays on the task.
        let late = try incident.applyCommand(.moveTask(id: tasks[0].id, .complete(note: "已封控")), actor: "师市公安局", now: Fixture.at(70), ids: ids)
        #expect(late.first?.payload["late"] == true)
        first = try #require(incident.commandPost?.tasks.first)
        #expect(!first.isOverdue && first.overdueAt == Fixture.at(60))
    }

    @Test func theTaskStateMachineAllowsOnlyItsMoves() throws {
        var (incident, _, _) = try responding("kunyu", level: 3, decidedBy: "commander", signedBy: "commander")
        _ = try incident.applyCommand(.createTasksFromDuties(groupID: "rescue"), actor: "总指挥", now: Fixture.at(10), ids: ids)
        let tasks = try #require(incident.commandPost?.tasks)
        // 附件2's two duties of 抢险救援组 become its starting checklist.
        #expect(tasks.map(\.title) == ["实施事故处置、人员搜救、工程抢险和事故现场清理等工作", "控制危险源，防止次生、衍生事故发生"])
        #expect(tasks.allSatisfy { $0.source == "附件2" && $0.assignee.kind == .group })
        let id = tasks[0].id
        let before = incident
        // Illegal from "assigned": start, complete, block — typed errors, nothing changed.
        for move in [TaskMove.start, .complete(note: nil), .block(reason: "缺设备")] {
            #expect(throws: IncidentError.self) { try incident.applyCommand(.moveTask(id: id, move), actor: "甲", now: Fixture.at(11), ids: ids) }
        }
        #expect(incident == before)
        _ = try incident.applyCommand(.moveTask(id: id, .acknowledge), actor: "甲", now: Fixture.at(11), ids: ids)
        #expect(throws: IncidentError.self) { try incident.applyCommand(.moveTask(id: id, .acknowledge), actor: "甲", now: Fixture.at(12), ids: ids) }
        #expect(throws: IncidentError.self) { try incident.applyCommand(.moveTask(id: id, .block(reason: " ")), actor: "甲", now: Fixture.at(12), ids: ids) }
        _ = try incident.applyCommand(.moveTask(id: id, .block(reason: "罐体温度过高，等待冷却")), actor: "甲", now: Fixture.at(12), ids: ids)
        #expect(incident.commandPost?.task(id)?.blockedReason == "罐体温度过高，等待冷却")
        _ = try incident.applyCommand(.moveTask(id: id, .start), actor: "甲", now: Fixture.at(20), ids: ids)
        _ = try incident.applyCommand(.moveTask(id: id, .complete(note: "已搜救 5 人")), actor: "甲", now: Fixture.at(40), ids: ids)
        #expect(incident.commandPost?.task(id)?.status == .done)
        #expect(incident.commandPost?.task(id)?.notes.map(\.text) == ["已搜救 5 人"])
        #expect(incident.commandPost?.task(id)?.allowedMoves == [])
        // The checklist is given once.
        #expect(throws: IncidentError.self) { try incident.applyCommand(.createTasksFromDuties(groupID: "rescue"), actor: "总指挥", now: Fixture.at(41), ids: ids) }
    }

    @Test func groupsMergeAndStandDownWithReasonsAndForcesCheckIn() throws {
        var (incident, _, _) = try responding("kunyu", level: 3, decidedBy: "commander", signedBy: "commander")
        #expect(throws: IncidentError.self) { try incident.applyCommand(.mergeGroup(id: "publicity", into: "coordination", reason: ""), actor: "总指挥", now: Fixture.at(10), ids: ids) }
        _ = try incident.applyCommand(.createTasksFromDuties(groupID: "publicity"), actor: "总指挥", now: Fixture.at(9), ids: ids)
        _ = try incident.applyCommand(.checkIn(team: "融媒体中心", leader: "赵", contact: "138", headcount: 3, equipment: "", arrivedAt: nil),
                                      actor: "总指挥", now: Fixture.at(9), ids: ids)
        let reporters = try #require(incident.commandPost?.forces.first?.id)
        _ = try incident.applyCommand(.assignForce(id: reporters, groupID: "publicity", taskID: nil), actor: "总指挥", now: Fixture.at(9), ids: ids)
        // 宣传信息组 still has open tasks: it cannot be stood down, only merged.
        #expect(throws: IncidentError.self) { try incident.applyCommand(.standDownGroup(id: "publicity", reason: "并入"), actor: "总指挥", now: Fixture.at(10), ids: ids) }
        _ = try incident.applyCommand(.mergeGroup(id: "publicity", into: "coordination", reason: "信息发布由综合协调组统一审核"), actor: "总指挥", now: Fixture.at(10), ids: ids)
        #expect(incident.commandPost?.group("publicity")?.status == .merged)
        #expect(incident.commandPost?.group("publicity")?.mergedInto == "coordination")
        // Its tasks and forces go with it, assigned to the group they are in now.
        let moved = try #require(incident.commandPost?.tasks.filter { $0.source == "附件2" })
        #expect(!moved.isEmpty && moved.allSatisfy { $0.groupID == "coordination" && $0.assignee == .init(kind: .group, id: "coordination", name: "综合协调组") })
        #expect(incident.commandPost?.forces.first?.groupID == "coordination")
        _ = try incident.applyCommand(.standDownGroup(id: "environment", reason: "监测无异常"), actor: "总指挥", now: Fixture.at(11), ids: ids)
        #expect(throws: IncidentError.self) {
            try incident.applyCommand(.createTask(title: "x", groupID: "environment", assignee: .init(kind: .group, id: "environment", name: "环境监测组"),
                                                  dueAt: nil, acknowledgeWithinMinutes: nil), actor: "总指挥", now: Fixture.at(12), ids: ids)
        }
        let checkIn = try incident.applyCommand(.checkIn(team: "南园二街消防救援站", leader: "李队长", contact: "13900000000", headcount: 24,
                                                         equipment: "水罐车 3 台", arrivedAt: Fixture.at(8)), actor: "综合协调组", now: Fixture.at(12), ids: ids)
        #expect(checkIn.map(\.kind) == ["force.checked_in"])
        let force = try #require(incident.commandPost?.forces.last)
        #expect(force.arrivedAt == Fixture.at(8) && force.headcount == 24)
        _ = try incident.applyCommand(.assignForce(id: force.id, groupID: "rescue", taskID: nil), actor: "综合协调组", now: Fixture.at(13), ids: ids)
        #expect(incident.commandPost?.forces.last?.groupID == "rescue")
        #expect(throws: IncidentError.self) {
            try incident.applyCommand(.checkIn(team: "x", leader: "y", contact: "z", headcount: 0, equipment: "", arrivedAt: nil), actor: "甲", now: Fixture.at(14), ids: ids)
        }
        _ = try incident.applyCommand(.checkOut(id: force.id), actor: "综合协调组", now: Fixture.at(200), ids: ids)
        #expect(incident.commandPost?.forces.last?.leftAt == Fixture.at(200))
    }

    @Test func handingOverCommandMovesTheHQUnderTheNewCommander() throws {
        var (incident, _, plan) = try responding("kunyu", level: 3, decidedBy: "commander", signedBy: "commander")
        _ = try incident.apply(.handOverCommand(to: "兵团专项指挥机构", handedOverBy: "师市专项指挥部指挥长", receivedBy: "兵团工作组组长"),
                               plan: plan, actor: "指挥长", now: Fixture.at(90), ids: ids)
        #expect(incident.commandPost?.commander == "兵团专项指挥机构")
        #expect(incident.commandPost?.handovers == [CommandHandover(from: "现场指挥部总指挥", to: "兵团专项指挥机构", handedOverBy: "师市专项指挥部指挥长",
                                                                     receivedBy: "兵团工作组组长", at: Fixture.at(90))])
    }

    @Test func theLeadDepartmentIsConfirmedOrOverriddenWithAReason() throws {
        var (incident, _, _) = try responding("bachu", level: 4, decidedBy: "commander", signedBy: "commander")
        #expect(throws: IncidentError.self) { try incident.confirmLeadDepartment(units: ["巴楚县应急管理局"], reason: nil, actor: "值班员", now: Fixture.at(6)) }
        let confirmed = try incident.confirmLeadDepartment(units: ["巴楚县消防救援大队"], reason: nil, actor: "值班员", now: Fixture.at(6))
        #expect(confirmed.first?.payload == ["units": ["巴楚县消防救援大队"], "asPlanned": true, "reason": .null])
        _ = try incident.confirmLeadDepartment(units: ["巴楚县应急管理局"], reason: "火灾发生在危化品仓库", actor: "值班员", now: Fixture.at(7))
        #expect(incident.leadDepartment?.chosen == ["巴楚县应急管理局"])
        #expect(incident.leadDepartment?.reason == "火灾发生在危化品仓库")
    }

    @Test func onceOnSiteWorkHasEndedTheHQIsARecordAndNothingEscalates() throws {
        var (incident, _, plan) = try responding("kunyu", level: 3, decidedBy: "commander", signedBy: "commander")
        _ = try incident.applyCommand(.createTask(title: "清点人员", groupID: nil, assignee: .init(kind: .person, id: "张三", name: "张三"),
                                                  dueAt: nil, acknowledgeWithinMinutes: nil), actor: "总指挥", now: Fixture.at(10), ids: ids)
        for condition in plan.termination.conditions {
            _ = try incident.apply(.confirmCondition(id: condition.id), plan: plan, actor: "现场指挥部", now: Fixture.at(12), ids: ids)
        }
        _ = try incident.apply(.endOnSiteWork, plan: plan, actor: "现场指挥部", now: Fixture.at(15), ids: ids)
        _ = incident.markOverdue(now: Fixture.at(16))
        #expect(incident.escalateTasks(now: Fixture.at(90)).isEmpty)
        // The task's escalation (minute 20) no longer counts; the next pending obligation does.
        #expect(incident.earliestPendingDue != nil && incident.earliestPendingDue != Fixture.at(20))
        #expect(incident.earliestPendingDue == incident.obligations.filter { $0.status == .pending }.compactMap(\.dueAt).min())
        #expect(throws: IncidentError.self) { try incident.applyCommand(.appointDeputies(["甲"]), actor: "总指挥", now: Fixture.at(91), ids: ids) }
    }

    @Test func aLeadTheCategoryDecidesIsTheConfirmedDepartmentAndNeverAnEscalationTarget() throws {
        var (incident, _, _) = try responding("kunyu", level: 3, decidedBy: "commander", signedBy: "commander")
        _ = try incident.applyCommand(.createTask(title: "汇总各组情况", groupID: "coordination", assignee: .init(kind: .group, id: "coordination", name: "综合协调组"),
                                                  dueAt: nil, acknowledgeWithinMinutes: 5), actor: "总指挥", now: Fixture.at(10), ids: ids)
        // 综合协调组 is led by "事故类别行业主管部门", not yet resolved: the escalation goes to the commander.
        _ = incident.escalateTasks(now: Fixture.at(15))
        #expect(incident.commandPost?.tasks.first?.escalations == [CommandTask.Escalation(level: 2, to: "现场指挥部总指挥", at: Fixture.at(15))])
        // Kunyu names no department for fires: the duty desk names one, with a reason, and the group is led by it.
        _ = try incident.confirmLeadDepartment(units: ["师市应急管理局"], reason: "化工企业火灾，由应急管理局牵头", actor: "值班员", now: Fixture.at(16))
        #expect(incident.commandPost?.group("coordination")?.lead == "师市应急管理局")
        #expect(incident.commandPost?.group("rescue")?.lead == "师市应急管理局")
        #expect(incident.commandPost?.group("publicity")?.lead == "师市党委宣传部")
    }

    @Test func deputiesAreAppointedOnTheRecord() throws {
        var (incident, _, _) = try responding("kunyu", level: 3, decidedBy: "commander", signedBy: "commander")
        let events = try incident.applyCommand(.appointDeputies(["师市应急管理局局长", " "]), actor: "总指挥", now: Fixture.at(9), ids: ids)
        #expect(incident.commandPost?.deputies == ["师市应急管理局局长"])
        #expect(events.first?.payload == ["deputies": ["师市应急管理局局长"]])
    }

    @Test func nothingChangesInTheHQBeforeAResponse() throws {
        var (incident, _, _) = try Fixture.openKunyu([.deaths: 3])
        #expect(throws: IncidentError.self) { try incident.applyCommand(.addGroup(name: "x", lead: nil, members: [], duties: []), actor: "甲", now: Fixture.at(1), ids: ids) }
        #expect(incident.commandPost == nil)
    }
}
