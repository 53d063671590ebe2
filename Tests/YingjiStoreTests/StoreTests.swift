import Foundation
import NIOCore
import NIOPosix
import SQLKit
import Testing
@testable import YingjiCore
import YingjiPlans
@testable import YingjiStore
import YingjiTestSupport

/// Every store test runs on SQLite, and on PostgreSQL too when `DATABASE_URL` is set (as in CI).
enum Engines {
    static var all: [SQLEngine] {
        ProcessInfo.processInfo.environment["DATABASE_URL"].map { $0.isEmpty ? [.sqlite] : [.sqlite, .postgres] } ?? [.sqlite]
    }

    static func open(_ engine: SQLEngine) async throws -> Store {
        switch engine {
        case .sqlite:
            let path = Scratch.path("store")
            return try await Store.open(path: path)
        case .postgres:
            // A schema of its own, so what other tests (or earlier runs) left in the database is not seen.
            return try await Store.open(postgresURL: ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "",
                                        schema: "s_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))
        }
    }
}

struct UUIDs: IDGenerator {
    func next(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.lowercased())" }
}

struct KunyuOnly: PlanCatalog {
    let plan: Plan
    init() throws {
        let plans = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("plans")
        plan = try PlanLibrary(directory: plans).load("kunyu")
    }
    func plan(forJurisdiction jurisdiction: String) -> Plan? { jurisdiction == "kunyu" ? plan : nil }
}

let t0 = Timestamp.parse("2026-03-01T02:10:00+08:00")!

func kunyuReport(deaths: Int64) -> ReportDraft {
    ReportDraft(kind: .initial,
                fields: ["unit": "昆玉某厂", "place": "工业园区", "course": "起火", "scope": "厂区", "rescueStatus": "救援中", "trend": "可控", "measures": "疏散"],
                figures: [.deaths: deaths, .missing: 0, .seriousInjuries: 0, .directLoss: 0], category: "fire", occurredAt: t0)
}

@Suite(.serialized) struct StoreTests {
    func service(_ store: Store) throws -> IncidentService {
        IncidentService(repository: store.incidents, plans: try KunyuOnly(), clock: FixedClock(t0), ids: UUIDs(), hasher: SHA256ChainHasher())
    }

    @Test func sha256MatchesTheStandardVector() {
        #expect(SHA256ChainHasher().hash(previous: "", canonical: Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // The previous hash comes first, then the entry; from an array as from Data.
        #expect(SHA256ChainHasher().hash(previous: "a", canonicalBytes: Array("bc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256ChainHasher().hash(previous: "ab", canonical: Data("c".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// Lists of unbounded length run on the list threads, not where they were asked for (on
    /// `serve`'s event loops a long one would hold up the loop's sockets); a page of at most
    /// 500 rows and a lookup of one row run in place.
    @Test(arguments: Engines.all) func listsRunOnTheirOwnThreadsAndLookupsInPlace(_ engine: SQLEngine) async throws {
        let store = try await Engines.open(engine)
        let service = try service(store)
        let opened = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 3), actor: "值班员")
        let threads = store.incidents.reads.listThreads
        var before = threads.jobsRun
        #expect(try await store.incidents.incidents(IncidentQuery(openOnly: true, limit: Int.max)).map(\.id).contains(opened.id))
        #expect(threads.jobsRun > before)
        before = threads.jobsRun
        #expect(try await store.incidents.timeline(incidentID: opened.id).first?.kind == "incident.reported")
        #expect(threads.jobsRun > before)
        before = threads.jobsRun
        #expect(try await store.warnings.warnings(WarningQuery(limit: 501)).isEmpty)
        #expect(threads.jobsRun > before)
        before = threads.jobsRun
        #expect(try await store.incidents.incident(id: opened.id)?.id == opened.id)
        #expect(try await store.incidents.incidents(IncidentQuery(jurisdictions: ["kunyu"], limit: 500)).map(\.id) == [opened.id])
        #expect(try await store.warnings.warnings(WarningQuery()).isEmpty)
        #expect(threads.jobsRun == before)
        try await store.close()
        // Closed: a list is refused at once rather than left waiting for threads that have stopped.
        await #expect(throws: StoreError.self) { _ = try await store.incidents.incidents(IncidentQuery()) }
    }

    /// Several list threads take jobs side by side; a job that arrives after stop still runs.
    @Test func theThreadPoolRunsJobsSideBySideAndAfterStop() async throws {
        let pool = ThreadPoolExecutor(name: "test-pool", threads: 2)
        // Two jobs that each wait for the other: they finish only if both run at once.
        let first = DispatchSemaphore(value: 0), second = DispatchSemaphore(value: 0)
        let met = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
            group.addTask(executorPreference: pool) { first.signal(); return second.wait(timeout: .now() + 10) == .success }
            group.addTask(executorPreference: pool) { second.signal(); return first.wait(timeout: .now() + 10) == .success }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(met == [true, true])
        pool.stop()
        #expect(await withTaskExecutorPreference(pool) { 42 } == 42)
    }

    @Test(arguments: Engines.all) func incidentsAndTimelinesRoundTrip(_ engine: SQLEngine) async throws {
        let store = try await Engines.open(engine)
        let service = try service(store)
        let opened = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 3), actor: "值班员")
        let changed = try await service.addReport(opened.id, ReportDraft(kind: .followUp, figures: [.deaths: 12]), expectedVersion: 1, actor: "值班员")
        #expect(try await store.incidents.incident(id: opened.id) == changed)
        let listed = try await store.incidents.incidents(IncidentQuery(grade: 2, jurisdictions: ["kunyu"]))
        #expect(listed.contains { $0.id == opened.id })
        let timeline = try await store.incidents.timeline(incidentID: opened.id)
        #expect(timeline.first?.kind == "incident.reported")
        #expect(timeline.last?.sequence == timeline.count)
        #expect(try await store.verifyTimelines(incidentID: opened.id) == [])
        try await store.close()
    }

    /// Lists and the board read what they show from the row's columns: the same values, in the
    /// same order, under the same filters as decoding every document, through every change that
    /// moves them (a re-grade, a response started and its level changed, obligations overdue).
    @Test(arguments: Engines.all) func summariesFromColumnsMatchTheDocuments(_ engine: SQLEngine) async throws {
        let store = try await Engines.open(engine)
        let service = try service(store)
        let small = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "值班员")
        let large = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 3), actor: "值班员")
        _ = try await service.addReport(small.id, ReportDraft(kind: .followUp, figures: [.deaths: 12]), expectedVersion: 1, actor: "值班员")
        _ = try await service.apply(large.id, .verify(note: nil), expectedVersion: 1, actor: "值班员")
        _ = try await service.apply(large.id, .startResponse(level: 3, decidedBy: "commander", signedBy: "commander", precondition: nil),
                                    expectedVersion: 2, actor: "指挥长")
        let raised = try await service.apply(large.id, .changeLevel(level: 2, reason: "死亡人数可能上升", signedBy: "principal"),
                                             expectedVersion: 3, actor: "指挥长")
        let later = IncidentService(repository: store.incidents, plans: try KunyuOnly(), clock: FixedClock(t0.addingTimeInterval(3 * 3_600)),
                                    ids: UUIDs(), hasher: SHA256ChainHasher())
        _ = try await later.sweepOverdue()
        let untouched = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "值班员")
        #expect(raised.response?.level == 2)

        func bothWays(_ query: IncidentQuery) async throws -> (columns: [IncidentSummary], documents: [IncidentSummary]) {
            (try await store.incidents.summaries(query), try await store.incidents.incidents(query).map(IncidentSummary.init))
        }
        let all = try await bothWays(IncidentQuery())
        #expect(all.columns == all.documents)
        // All three made at one instant: newest first ties, and the id decides, both ways alike.
        #expect(all.columns.map(\.id) == [untouched.id, large.id, small.id].sorted(by: >))
        let levels = Dictionary(uniqueKeysWithValues: all.columns.map { ($0.id, $0.level) })
        #expect(levels == [untouched.id: nil, large.id: 2, small.id: nil])
        let grades = Dictionary(uniqueKeysWithValues: all.columns.map { ($0.id, $0.grade) })
        #expect(grades == [untouched.id: 4, large.id: 3, small.id: 2])
        #expect(all.columns.first { $0.id == small.id }.map { $0.version > 2 && $0.overdueCount > 0 } == true)
        #expect(all.columns.first { $0.id == large.id }.map { $0.overdueCount > 0 && $0.status == .responding } == true)
        #expect(all.columns.first { $0.id == untouched.id }?.updatedAt == untouched.updatedAt)
        for query in [IncidentQuery(grade: 2), IncidentQuery(overdueOnly: true), IncidentQuery(status: .responding), IncidentQuery(limit: 1, offset: 1),
                      IncidentQuery(visibility: [VisibilityClause(jurisdictions: ["bachu"], organisationID: nil, involvedOrganisationID: nil)])] {
            let found = try await bothWays(query)
            #expect(found.columns == found.documents, "\(query)")
        }
        #expect(try await store.incidents.summaries(IncidentQuery(overdueOnly: true)).map(\.id).sorted() == [large.id, small.id].sorted())
        // Rows stored before the columns existed are filled from their documents (migration 9).
        try await store.incidents.database.raw("UPDATE incidents SET response_level = NULL, updated_at = NULL").run()
        await #expect(throws: StoreError.self) { try await store.incidents.summaries(IncidentQuery()) }
        try await store.incidents.database.raw(SQLQueryString(Migrations.backfillResponseLevelAndUpdatedAt(engine))).run()
        #expect(try await store.incidents.summaries(IncidentQuery()) == all.columns)
        // Columns a build before them left unset or stale (an overdue count of 0 beside overdue
        // obligations) are written again from the documents by migration 11, every one of them.
        let database = store.incidents.database
        let candidates = try await store.incidents.versions(IncidentQuery(openOnly: true, pendingDueBy: t0.addingTimeInterval(30 * 86_400), limit: 10))
        #expect(candidates.count == 3)
        func spoil() async throws {
            try await database.raw("""
                UPDATE incidents SET status = 'reported', grade = NULL, version = 0, next_deadline = NULL, pending_due = NULL, overdue_count = 0,
                    organisation_id = 'someone', involved = ',someone,', known_at = 0, category = NULL, response_level = NULL, updated_at = 0
                """).run()
            let spoilt = try await store.incidents.summaries(IncidentQuery())
            #expect(spoilt.allSatisfy { $0.overdueCount == 0 && $0.version == 0 && $0.grade == nil })
        }
        try await spoil()
        try await database.raw("DELETE FROM yingji_migrations WHERE version = 11").run()
        try await Migrations.run(on: database, engine: engine)
        #expect(try await store.incidents.summaries(IncidentQuery()) == all.columns)
        #expect(try await store.incidents.versions(IncidentQuery(openOnly: true, pendingDueBy: t0.addingTimeInterval(30 * 86_400), limit: 10)) == candidates)
        #expect(try await store.incidents.summaries(IncidentQuery(overdueOnly: true)).map(\.id).sorted() == [large.id, small.id].sorted())
        // A page at a time (a page of two, then one of one), only the rows that differ, and a row
        // whose document cannot be read is left as it is without stopping the others.
        #expect(try await SQLIncidentRepository.recomputeColumns(on: database, page: 2) == 0)
        try await database.raw("UPDATE incidents SET overdue_count = 0 WHERE id = \(bind: small.id)").run()
        #expect(try await SQLIncidentRepository.recomputeColumns(on: database, page: 2) == 1)
        #expect(try await store.incidents.summaries(IncidentQuery()) == all.columns)
        try await spoil()
        #expect(try await SQLIncidentRepository.recomputeColumns(on: database, page: 2) == 3)
        #expect(try await store.incidents.summaries(IncidentQuery()) == all.columns)
        try await database.raw("UPDATE incidents SET overdue_count = 0").run()
        try await database.raw("UPDATE incidents SET data = '{}' WHERE id = \(bind: large.id)").run()
        // Three rows in a page of three: a full page, then an empty one.
        #expect(try await SQLIncidentRepository.recomputeColumns(on: database, page: 3) == 1)
        let kept = try await store.incidents.summaries(IncidentQuery())
        #expect(kept.first { $0.id == small.id }?.overdueCount == all.columns.first { $0.id == small.id }?.overdueCount)
        #expect(kept.first { $0.id == large.id }?.overdueCount == 0)
        try await store.close()
    }

    /// Passes over open incidents (the overdue sweep, the due-soon reminders) list their
    /// candidates by id and version from the sweep's index, not by reading every incident, and
    /// read whole only the ones they ask for by id.
    @Test(arguments: Engines.all) func passesListCandidatesByVersionAndReadThemByID(_ engine: SQLEngine) async throws {
        let store = try await Engines.open(engine)
        let service = try service(store)
        var opened: [String] = []
        for _ in 1...5 {
            opened.append(try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "a").id)
        }
        // A closed incident is never a candidate.
        let closed = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "a")
        try await store.incidents.database.raw("UPDATE incidents SET status = 'archived', pending_due = NULL WHERE id = \(bind: closed.id)").run()
        _ = try await service.addReport(opened[2], ReportDraft(kind: .followUp, figures: [.deaths: 2]), expectedVersion: 1, actor: "a")
        let due = t0.addingTimeInterval(3_600)
        let candidates = try await store.incidents.versions(IncidentQuery(openOnly: true, pendingDueBy: due, limit: Int.max))
        #expect(Set(candidates.map(\.id)) == Set(opened))
        #expect(candidates.first { $0.id == opened[2] }?.version == 2)
        #expect(candidates.filter { $0.id != opened[2] }.allSatisfy { $0.version == 1 })
        #expect(Set(try await store.incidents.incidents(ids: [opened[0], opened[4], closed.id]).map(\.id)) == [opened[0], opened[4], closed.id])
        #expect(try await store.incidents.incidents(ids: []).isEmpty)
        let later = IncidentService(repository: store.incidents, plans: try KunyuOnly(), clock: FixedClock(due), ids: UUIDs(), hasher: SHA256ChainHasher())
        #expect(Set(try await later.sweepOverdue().map(\.id)) == Set(opened))
        #expect(try await later.sweepOverdue().isEmpty)
        try await store.close()
    }

    /// SQLite finds a pass's candidates through the sweep's index on `pending_due`: a pass costs
    /// what is due, not every incident ever stored.
    @Test func thePassesQueryUsesTheSweepsIndex() async throws {
        let store = try await Engines.open(.sqlite)
        _ = try await service(store).report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "a")
        let listed = try #require(SQLIncidentRepository.listSQL("id, version", IncidentQuery(openOnly: true, pendingDueBy: t0, limit: Int.max)))
        let plan = try await store.incidents.database.raw("EXPLAIN QUERY PLAN \(listed)").all().map { try $0.decode(column: "detail", as: String.self) }
        #expect(plan.contains { $0.contains("USING INDEX incidents_pending_due") }, "\(plan)")
        try await store.close()
    }

    /// A request still finishing when the server shuts down may write after the store closed: the
    /// write is refused with the store's own error, never run on a closed connection; closing
    /// twice is harmless.
    @Test func aWriteAfterCloseIsRefused() async throws {
        let store = try await Engines.open(.sqlite)
        let service = try service(store)
        _ = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "a")
        try await store.close()
        await #expect { try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "a") } throws: { error in
            (error as? StoreError)?.description == "数据库已关闭"
        }
        try await store.close()
    }

    @Test(arguments: Engines.all) func staleVersionStoresNothing(_ engine: SQLEngine) async throws {
        let store = try await Engines.open(engine)
        let service = try service(store)
        let opened = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "a")
        var stale = opened
        stale.version = 2
        stale.status = .archived
        await #expect(throws: IncidentError.self) {
            try await store.incidents.update(stale, expectedVersion: 7, timeline: [])
        }
        #expect(try await store.incidents.incident(id: opened.id)?.status == .reported)
        try await store.close()
    }

    @Test(arguments: Engines.all) func timelineRefusesUpdateAndDelete(_ engine: SQLEngine) async throws {
        let store = try await Engines.open(engine)
        let opened = try await service(store).report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "a")
        let database = store.incidents.database
        await #expect(throws: (any Error).self) {
            try await database.raw("UPDATE timeline SET actor = 'x' WHERE incident_id = \(bind: opened.id)").run()
        }
        await #expect(throws: (any Error).self) {
            try await database.raw("DELETE FROM timeline WHERE incident_id = \(bind: opened.id)").run()
        }
        #expect(try await store.incidents.timeline(incidentID: opened.id).allSatisfy { $0.actor == "a" })
        try await store.close()
    }

    @Test(arguments: Engines.all) func auditNamesTheRowChangedByHand(_ engine: SQLEngine) async throws {
        let store = try await Engines.open(engine)
        let opened = try await service(store).report(jurisdiction: "kunyu", kunyuReport(deaths: 3), actor: "值班员")
        let database = store.incidents.database
        switch engine {
        case .sqlite:
            try await database.raw("DROP TRIGGER timeline_no_update").run()
        case .postgres:
            try await database.raw("ALTER TABLE timeline DISABLE TRIGGER timeline_no_update").run()
        }
        try await database.raw("UPDATE timeline SET payload = '{\"figures\":{\"deaths\":1}}' WHERE incident_id = \(bind: opened.id) AND sequence = 1").run()
        if engine == .postgres { try await database.raw("ALTER TABLE timeline ENABLE TRIGGER timeline_no_update").run() }
        let breaks = try await store.verifyTimelines(incidentID: opened.id)
        #expect(breaks == [ChainBreak(incidentID: opened.id, sequence: 1, reason: "内容与哈希不符，本条记录被修改")])
        try await store.close()
    }

    /// A warning's chain lives in the shared timeline table: stored with the warning in one
    /// write, refused on a stale version, and a row changed by hand is named by the audit.
    @Test(arguments: Engines.all) func warningsAndTheirChainsRoundTripAndTamperingIsFound(_ engine: SQLEngine) async throws {
        // A schema of its own on PostgreSQL, so the lists hold only this test's warning.
        let store = engine == .sqlite ? try await Engines.open(engine)
            : try await Store.open(postgresURL: ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "", schema: "w_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))
        let warnings = WarningService(repository: store.warnings, plans: try KunyuOnly(), clock: FixedClock(t0), ids: UUIDs(), hasher: SHA256ChainHasher())
        let content = WarningContent(level: 3, issuer: "师市", category: "危险化学品", startsAt: t0, area: WarningArea(description: "园区"),
                                     warnings: "避免进入", developments: "", measures: "", hotline: "", channels: ["短信"], specialAudiences: [])
        let drafted = try await warnings.draft(jurisdiction: "kunyu", content: content, incidentID: "inc-1", notified: ["kunyu-224"], actor: "值班员")
        let submitted = try await warnings.apply(drafted.id, .submit, expectedVersion: 1, actor: "值班员")
        #expect(submitted.version == 2)
        await #expect(throws: IncidentError.self) { try await warnings.apply(drafted.id, .submit, expectedVersion: 1, actor: "值班员") }
        #expect(try await store.warnings.warning(id: drafted.id) == submitted)
        #expect(try await store.warnings.warnings(WarningQuery(jurisdictions: ["kunyu-224"])).map(\.id) == [drafted.id])
        #expect(try await store.warnings.warnings(WarningQuery(jurisdictions: ["bachu"])).isEmpty)
        #expect(try await store.warnings.warnings(WarningQuery(incidentID: "inc-1")).map(\.id) == [drafted.id])
        #expect(try await store.warnings.warnings(WarningQuery(currentOnly: true)).isEmpty)
        // Pages: the cursor passes over what the pages before gave (same time here, so by id).
        let second = try await warnings.draft(jurisdiction: "kunyu", content: content, incidentID: "inc-1", notified: [], actor: "值班员")
        let both = try await store.warnings.warnings(WarningQuery(incidentID: "inc-1")).map(\.id)
        try #require(Set(both) == [drafted.id, second.id] && both.count == 2)
        #expect(try await store.warnings.warnings(WarningQuery(incidentID: "inc-1", limit: 1)).map(\.id) == [both[0]])
        #expect(both == [drafted.id, second.id].sorted(by: >))
        let first = try #require(try await store.warnings.warning(id: both[0]))
        let last = try #require(try await store.warnings.warning(id: both[1]))
        #expect(try await store.warnings.warnings(WarningQuery(incidentID: "inc-1", limit: 1, after: .init(first))).map(\.id) == [both[1]])
        #expect(try await store.warnings.warnings(WarningQuery(incidentID: "inc-1", after: .init(last))).isEmpty)
        // An older time comes after a newer one whatever the ids.
        #expect(try await store.warnings.warnings(WarningQuery(incidentID: "inc-1", after: .init(createdAt: first.createdAt.addingTimeInterval(1), id: ""))).map(\.id) == both)
        #expect(try await store.warnings.warnings(WarningQuery(incidentID: "inc-1", after: .init(createdAt: first.createdAt.addingTimeInterval(-1), id: "zzz"))).isEmpty)
        #expect(try await store.warnings.timeline(warningID: drafted.id).map(\.kind) == ["warning.drafted", "warning.submitted"])
        #expect(try await store.verifyTimelines(incidentID: drafted.id).isEmpty)
        let database = store.incidents.database
        switch engine {
        case .sqlite: try await database.raw("DROP TRIGGER timeline_no_update").run()
        case .postgres: try await database.raw("ALTER TABLE timeline DISABLE TRIGGER timeline_no_update").run()
        }
        try await database.raw("UPDATE timeline SET payload = '{\"level\":4}' WHERE incident_id = \(bind: drafted.id) AND sequence = 1").run()
        if engine == .postgres { try await database.raw("ALTER TABLE timeline ENABLE TRIGGER timeline_no_update").run() }
        #expect(try await store.verifyTimelines(incidentID: drafted.id) == [ChainBreak(incidentID: drafted.id, sequence: 1, reason: "内容与哈希不符，本条记录被修改")])
        try await store.close()
    }

    @Test func migrationsRunOnceAndSurviveReopening() async throws {
        let path = Scratch.path("reopen")
        let first = try await Store.open(path: path)
        let opened = try await service(first).report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "a")
        try await first.close()
        let second = try await Store.open(path: path)
        #expect(try await second.incidents.incident(id: opened.id)?.id == opened.id)
        let versions = try await second.incidents.database.raw("SELECT version FROM yingji_migrations ORDER BY version").all().map { try $0.decode(column: "version", as: Int.self) }
        #expect(versions == Array(1...Migrations.current))
        #expect(Migrations.current == 11)
        try await second.close()
    }

    /// Opening a file another process holds locked waits for it (within the busy timeout) from
    /// its first statement on: switching a new file to WAL needs the lock too.
    @Test func openingWaitsForAnotherConnectionsLock() async throws {
        let path = Scratch.path("busy-open")
        let other = try await Store.open(path: Scratch.path("dialect"))
        let dialect = SQLDialectOnly(other.incidents.database)
        try await other.close()
        // A file in SQLite's default (rollback journal) mode, locked as a maintenance tool would.
        let holder = try DirectSQLiteConnection(path: path, flags: 0x6 /* SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE */,
                                                settings: ["PRAGMA locking_mode = EXCLUSIVE", "BEGIN EXCLUSIVE", "CREATE TABLE other_tool (x)"], dialect: dialect)
        let released = Task {
            try await Task.sleep(for: .milliseconds(300))
            _ = try holder.run("COMMIT")
            holder.close()
        }
        let store = try await Store.open(path: path)
        try await released.value
        let mode = try await store.incidents.database.raw("PRAGMA journal_mode").all().first?.decode(column: "journal_mode", as: String.self)
        #expect(mode == "wal")
        #expect(try await store.incidents.database.raw("SELECT MAX(version) AS v FROM yingji_migrations").all().first?.decode(column: "v", as: Int.self) == Migrations.current)
        try await store.close()
    }

    /// A backup of a database another process keeps locked says so; it does not call the
    /// database a stranger's, and writes nothing.
    @Test func aBackupOfALockedDatabaseSaysItIsLocked() async throws {
        let path = Scratch.path("locked")
        let target = path + ".backup"
        let store = try await Store.open(path: path)
        let dialect = SQLDialectOnly(store.incidents.database)
        try await store.close()
        // Another process's exclusive lock, as a maintenance tool would hold it.
        let holder = try DirectSQLiteConnection(path: path, flags: 0x2 /* SQLITE_OPEN_READWRITE */, settings: ["PRAGMA locking_mode = EXCLUSIVE", "BEGIN EXCLUSIVE"],
                                                dialect: dialect)
        var refusal: String?
        do {
            try await Store.backup(sqlitePath: path, to: target, busyTimeoutMilliseconds: 100)
        } catch {
            refusal = String(describing: error)
        }
        _ = try holder.run("ROLLBACK")
        holder.close()
        #expect(refusal == "数据库被其他连接锁住，等了 100 毫秒仍未释放：请稍后再试")
        #expect(!FileManager.default.fileExists(atPath: target))
        // Unlocked, the same call makes the copy.
        try await Store.backup(sqlitePath: path, to: target, busyTimeoutMilliseconds: 100)
        #expect(FileManager.default.fileExists(atPath: target))
    }

    /// Migration 7: a closed incident stored by an earlier version with a sweep time keeps none,
    /// so the sweep, which reads by that time, no longer reads it; an open one gets its time as
    /// this version computes it.
    @Test func closedIncidentsLeaveTheSweepsIndexOnMigration() async throws {
        let path = Scratch.path("m7")
        let first = try await Store.open(path: path)
        let closed = try await service(first).report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "a")
        let open = try await service(first).report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "a")
        // As a database from before the migration would have it.
        try await first.incidents.database.raw("UPDATE incidents SET status = 'archived' WHERE id = \(bind: closed.id)").run()
        // An open incident stored without a sweep time, as one whose only clock left was a task's due time was.
        try await first.incidents.database.raw("UPDATE incidents SET pending_due = NULL WHERE id = \(bind: open.id)").run()
        try await first.incidents.database.raw("DELETE FROM yingji_migrations WHERE version = 7").run()
        try await first.close()
        let second = try await Store.open(path: path)
        let due = try await second.incidents.database.raw("SELECT id, pending_due FROM incidents ORDER BY id").all().map {
            (try $0.decode(column: "id", as: String.self), try $0.decode(column: "pending_due", as: Double?.self))
        }
        #expect(due.first { $0.0 == closed.id }?.1 == nil)
        #expect(due.first { $0.0 == open.id }?.1 == open.earliestPendingDue?.timeIntervalSinceReferenceDate)
        #expect(open.earliestPendingDue != nil)
        #expect(try await second.incidents.incidents(IncidentQuery(pendingDueBy: t0.addingTimeInterval(86_400 * 365))).map(\.id) == [open.id])
        try await second.close()
    }

    /// Migration 10 moves the document to the end of the row and lists a jurisdiction's incidents
    /// from (jurisdiction, created_at, id): from a file laid out as version 9 left it (the
    /// document in the middle, the old index), every value survives, every column keeps its type,
    /// constraint and default, and the board's first page comes from the index in order, without
    /// sorting all of the jurisdiction's incidents.
    @Test func theDocumentMovesLastAndAJurisdictionsListComesInOrder() async throws {
        let path = Scratch.path("m10")
        let first = try await Store.open(path: path)
        let service = try service(first)
        let opened = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "a")
        let followed = try await service.addReport(opened.id, ReportDraft(kind: .followUp, figures: [.deaths: 12]), expectedVersion: 1, actor: "a")
        _ = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 3), knownAt: t0.addingTimeInterval(-600), actor: "a")
        let database = first.incidents.database
        func run(_ sql: String) async throws { try await database.raw(SQLQueryString(sql)).run() }
        func layout(_ database: any SQLDatabase) async throws -> [String] {
            try await database.raw("PRAGMA table_info(incidents)").all().map { row in
                "\(try row.decode(column: "name", as: String.self)) \(try row.decode(column: "type", as: String.self)) "
                    + "notnull=\(try row.decode(column: "notnull", as: Int.self)) default=\(try row.decode(column: "dflt_value", as: String?.self) ?? "-") "
                    + "pk=\(try row.decode(column: "pk", as: Int.self))"
            }
        }
        // The layout migrations 1–9 leave: columns added after `data` by ALTER TABLE, and the old index.
        let version9 = "id, jurisdiction, status, grade, version, next_deadline, created_at, data, pending_due, overdue_count, organisation_id, involved, known_at, category, response_level, updated_at"
        try await run("""
            CREATE TABLE incidents_9 (id TEXT PRIMARY KEY, jurisdiction TEXT NOT NULL, status TEXT NOT NULL, grade INTEGER, version INTEGER NOT NULL,
                next_deadline DOUBLE PRECISION, created_at DOUBLE PRECISION NOT NULL, data TEXT NOT NULL, pending_due DOUBLE PRECISION,
                overdue_count INTEGER NOT NULL DEFAULT 0, organisation_id TEXT, involved TEXT NOT NULL DEFAULT ',', known_at DOUBLE PRECISION,
                category TEXT, response_level INTEGER, updated_at DOUBLE PRECISION)
            """)
        try await run("INSERT INTO incidents_9 (\(version9)) SELECT \(version9) FROM incidents")
        try await run("DROP TABLE incidents")
        try await run("ALTER TABLE incidents_9 RENAME TO incidents")
        for index in ["incidents_jurisdiction_status ON incidents (jurisdiction, status)", "incidents_pending_due ON incidents (pending_due)", "incidents_known_at ON incidents (known_at)"] {
            try await run("CREATE INDEX \(index)")
        }
        try await run("DELETE FROM yingji_migrations WHERE version = 10")
        let before = try await layout(database)
        #expect(before[7].hasPrefix("data "))
        func rows(_ store: Store) async throws -> [[String]] {
            try await store.incidents.database.raw("SELECT \(unsafeRaw: version9) FROM incidents ORDER BY id").all().map { row in
                try ["id", "jurisdiction", "status", "involved", "data"].map { try row.decode(column: $0, as: String.self) }
                    + ["grade", "version", "overdue_count", "response_level"].map { try row.decode(column: $0, as: Int?.self).map(String.init) ?? "-" }
                    + ["next_deadline", "created_at", "pending_due", "known_at", "updated_at"].map { try row.decode(column: $0, as: Double?.self).map { "\($0)" } ?? "-" }
                    + ["organisation_id", "category"].map { try row.decode(column: $0, as: String?.self) ?? "-" }
            }
        }
        let stored = try await rows(first)
        #expect(stored.count == 2)
        try await first.close()

        let second = try await Store.open(path: path)
        #expect(try await rows(second) == stored)
        let after = try await layout(second.incidents.database)
        // The same columns with the same types, constraints and defaults; only the document moved, to the end.
        #expect(after.last?.hasPrefix("data TEXT notnull=1") == true)
        #expect(after.filter { !$0.hasPrefix("data ") } == before.filter { !$0.hasPrefix("data ") })
        #expect(Set(after) == Set(before))
        let indexes = try await second.incidents.database.raw("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'incidents' AND sql IS NOT NULL")
            .all().map { try $0.decode(column: "name", as: String.self) }
        #expect(Set(indexes) == ["incidents_jurisdiction_created", "incidents_pending_due", "incidents_known_at"])
        #expect(try await second.incidents.incident(id: opened.id) == followed)
        let query = IncidentQuery(jurisdictions: ["kunyu"], openOnly: true, limit: 200)
        let listed = try #require(SQLIncidentRepository.listSQL(SQLIncidentRepository.summaryColumns, query))
        let plan = try await second.incidents.database.raw("EXPLAIN QUERY PLAN \(listed)").all().map { try $0.decode(column: "detail", as: String.self) }
        #expect(plan.contains { $0.contains("USING INDEX incidents_jurisdiction_created") }, "\(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
        #expect(try await second.incidents.summaries(query) == (try await second.incidents.incidents(query)).map(IncidentSummary.init))
        try await second.close()
    }

    /// A database a newer build has migrated is refused with a message naming both versions:
    /// this build would write rows without the columns that build added.
    @Test func aDatabaseFromANewerBuildIsRefused() async throws {
        let path = Scratch.path("newer")
        let first = try await Store.open(path: path)
        try await first.incidents.database.raw("INSERT INTO yingji_migrations (version, name) VALUES (\(bind: Migrations.current + 1), 'Migration from a newer build')").run()
        try await first.close()
        do {
            _ = try await Store.open(path: path)
            Issue.record("a database at version \(Migrations.current + 1) was opened")
        } catch let error as StoreError {
            #expect(error.description == "数据库结构为第 \(Migrations.current + 1) 版，本程序为第 \(Migrations.current) 版：请用与服务同一版本的 yingji 操作")
        }
    }

    /// Writes that arrive together are committed together; one that fails (stale version, taken
    /// idempotency key) is undone alone and the rest of its group stands.
    @Test(arguments: Engines.all) func groupCommitKeepsEachWriteAllOrNothing(_ engine: SQLEngine) async throws {
        let store = try await Engines.open(engine)
        let service = try service(store)
        let base = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "a")
        let key = "group-\(UUID().uuidString)"
        let claimant = "k-\(UUID().uuidString)-"
        let outcomes = try await concurrentOutcomes(30) { index in
            switch index % 3 {
            case 0:
                _ = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "w\(index)")
                return "inserted"
            case 1:
                // Everyone claims the same key: exactly one may store it.
                let record = IdempotencyRecord(key: key, requestHash: "h", status: 201, body: Data("{}".utf8), createdAt: t0)
                _ = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: claimant + "\(index)", answer: { _ in record })
                return "claimed"
            default:
                // Everyone verifies version 1 of the same incident: exactly one wins.
                _ = try await service.apply(base.id, .verify(note: "\(index)"), expectedVersion: 1, actor: "v\(index)")
                return "verified"
            }
        }
        #expect(outcomes["inserted"] == 10)
        #expect(outcomes["claimed"] == 1)
        #expect(outcomes["idempotency.key_taken"] == 9)
        #expect(outcomes["verified"] == 1)
        #expect((outcomes["incident.version_conflict"] ?? 0) + (outcomes["lifecycle.illegal_move"] ?? 0) == 9)
        let stored = try await store.incidents.incidents(IncidentQuery(limit: 10_000)).filter { $0.createdAt == t0 && $0.reports.first?.actor.hasPrefix(claimant) == true }
        #expect(stored.count == 1)
        let verified = try await store.incidents.incident(id: base.id)
        #expect(verified?.version == 2)
        #expect(try await store.incidents.timeline(incidentID: base.id).filter { $0.kind == "incident.verified" }.count == 1)
        #expect(try await store.verifyTimelines(incidentID: base.id).isEmpty)
        try await store.close()
    }

    /// In `serve`, handlers wait for their writes on NIO's event loops: the writer answers each
    /// from the loop it waits on, not from its own thread (the handler then goes on, and writes its
    /// answer, on its connection's loop without another hop).
    @Test func writesWaitingOnAnEventLoopAreAnsweredFromThatLoop() async throws {
        let store = try await Engines.open(.sqlite)
        let service = try service(store)
        let base = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "a")
        let executor = LoopTaskExecutor(MultiThreadedEventLoopGroup.singleton.next())
        let outcomes = try await withTaskExecutorPreference(executor) {
            try await concurrentOutcomes(12) { index in
                if index % 2 == 0 {
                    _ = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "w\(index)")
                    return "inserted"
                }
                _ = try await service.apply(base.id, .verify(note: "\(index)"), expectedVersion: 1, actor: "v\(index)")
                return "verified"
            }
        }
        #expect(outcomes["inserted"] == 6)
        #expect(outcomes["verified"] == 1)
        #expect((outcomes["incident.version_conflict"] ?? 0) + (outcomes["lifecycle.illegal_move"] ?? 0) == 5)
        // The move onto the loop is the one job queued from elsewhere (the test's own thread);
        // answered from the writer's thread, each of the twelve writes would add one.
        #expect(executor.queuedFromElsewhere == 1)
        #expect(try await store.incidents.incident(id: base.id)?.version == 2)
        try await store.close()
    }

    @Test(arguments: Engines.all) func aWriteThatFailsWithoutARefusalLeavesTheRestOfItsGroupStored(_ engine: SQLEngine) async throws {
        let store = try await Engines.open(engine)
        let service = try service(store)
        let existing = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: "a")
        let actor = "group-\(UUID().uuidString)-"
        var failed = 0
        for round in 0..<5 {
            // New incidents, and at the same moment one more row with an id already stored (the
            // primary key refuses it): new incidents run without a savepoint in their group.
            failed += try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        do {
                            if index == 5 {
                                try await store.incidents.insert(existing, timeline: [], idempotency: nil)
                            } else {
                                _ = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), actor: actor + "\(round)-\(index)")
                            }
                            return false
                        } catch {
                            return true
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
        }
        #expect(failed == 5)
        let stored = try await store.incidents.incidents(IncidentQuery(limit: 100_000)).filter { $0.reports.first?.actor.hasPrefix(actor) == true }
        #expect(stored.count == 55)
        for incident in stored {
            let timeline = try await store.incidents.timeline(incidentID: incident.id)
            #expect(timeline.first?.kind == "incident.reported")
            #expect(try await store.verifyTimelines(incidentID: incident.id).isEmpty)
        }
        #expect(try await store.incidents.incident(id: existing.id) == existing)
        try await store.close()
    }
}

@Suite struct ChartPointTests {
    /// A fresh store: a new SQLite file, or a new PostgreSQL schema.
    func open(_ engine: SQLEngine) async throws -> Store {
        switch engine {
        case .sqlite: return try await Engines.open(.sqlite)
        case .postgres:
            let schema = "c_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            return try await Store.open(postgresURL: ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "", schema: schema)
        }
    }

    /// The board's charts count incidents by the day they became known, grade and category, in
    /// the database from columns: every incident known since the given instant that the filters
    /// let through, each on the day `IncidentChartCount.day` gives (China time: the day turns at
    /// 00:00 +08:00).
    @Test(arguments: Engines.all) func chartCountsCountWhatWasKnownSinceFromColumns(_ engine: SQLEngine) async throws {
        let store = try await open(engine)
        let service = IncidentService(repository: store.incidents, plans: try KunyuOnly(), clock: FixedClock(t0), ids: UUIDs(), hasher: SHA256ChainHasher())
        let china = 8 * 3600
        let midnight = try #require(Timestamp.parse("2026-03-01T00:00:00+08:00"))
        let earlier = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), knownAt: t0.addingTimeInterval(-86_400), actor: "值班员")
        let lastSecond = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 1), knownAt: midnight.addingTimeInterval(-1), actor: "值班员")
        let larger = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 3), knownAt: midnight, actor: "值班员")
        _ = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 3), knownAt: t0.addingTimeInterval(-60), actor: "值班员")
        _ = try await service.report(jurisdiction: "kunyu", kunyuReport(deaths: 10), actor: "值班员")
        let today = IncidentChartCount.day(t0, utcOffset: china)
        #expect(IncidentChartCount.day(midnight, utcOffset: china) == today)
        #expect(IncidentChartCount.day(lastSecond.knownAt, utcOffset: china) == today - 1)
        #expect(IncidentChartCount.day(earlier.knownAt, utcOffset: china) == today - 1)
        func counts(since: Date, _ query: IncidentQuery = IncidentQuery()) async throws -> [IncidentChartCount] {
            try await store.incidents.chartCounts(query, knownSince: since, utcOffset: china)
                .sorted { ($0.day, $0.grade ?? 0, $0.category ?? "") < ($1.day, $1.grade ?? 0, $1.category ?? "") }
        }
        func count(_ day: Int, _ grade: Int, _ category: String, _ count: Int) -> IncidentChartCount {
            IncidentChartCount(jurisdiction: "kunyu", day: day, grade: grade, category: category, count: count)
        }
        // Known at the very instant counts; the day turns at midnight China time, not UTC.
        #expect(try await counts(since: midnight) == [count(today, 2, "fire", 1), count(today, 3, "fire", 2)])
        #expect(try await counts(since: midnight.addingTimeInterval(-1)) == [count(today - 1, 4, "fire", 1), count(today, 2, "fire", 1), count(today, 3, "fire", 2)])
        #expect(try await counts(since: .distantPast).map(\.count).reduce(0, +) == 5)
        #expect(try await counts(since: .distantPast).first == count(today - 1, 4, "fire", 2))
        // The same filters as lists: whom the account may see, grade.
        #expect(try await counts(since: .distantPast, IncidentQuery(grade: 2)) == [count(today, 2, "fire", 1)])
        #expect(try await counts(since: .distantPast, IncidentQuery(visibility: [VisibilityClause(jurisdictions: ["bachu"], organisationID: nil, involvedOrganisationID: nil)])).isEmpty)
        #expect(try await counts(since: .distantPast, IncidentQuery(visibility: [])).isEmpty)
        // A follow-up that changes the category changes the column too.
        let changed = try await service.addReport(larger.id, ReportDraft(kind: .followUp, fields: [:], figures: [:], category: "hazardous-chemicals", occurredAt: nil),
                                                  expectedVersion: larger.version, actor: "值班员")
        #expect(changed.category == "hazardous-chemicals")
        #expect(try await counts(since: midnight) == [count(today, 2, "fire", 1), count(today, 3, "fire", 1), count(today, 3, "hazardous-chemicals", 1)])
        // Rows stored before the columns existed are filled from their documents (migration 8).
        try await store.incidents.database.raw("UPDATE incidents SET known_at = NULL, category = NULL").run()
        #expect(try await counts(since: .distantPast).isEmpty)
        try await store.incidents.database.raw(SQLQueryString(Migrations.backfillKnownAtAndCategory(engine))).run()
        #expect(try await counts(since: midnight) == [count(today, 2, "fire", 1), count(today, 3, "fire", 1), count(today, 3, "hazardous-chemicals", 1)])
        #expect(try await counts(since: .distantPast).map(\.count).reduce(0, +) == 5)
        try await store.close()
    }
}

/// Runs `attempt(0)` … `attempt(count - 1)` at once and counts what they answered: the string an
/// attempt returns, or the code of the `IncidentError` it threw.
func concurrentOutcomes(_ count: Int, _ attempt: @escaping @Sendable (Int) async throws -> String) async throws -> [String: Int] {
    try await withThrowingTaskGroup(of: String.self) { group in
        for index in 0..<count {
            group.addTask {
                do {
                    return try await attempt(index)
                } catch let error as IncidentError {
                    return error.code
                }
            }
        }
        return try await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
    }
}

/// Runs its jobs on one event loop, as `serve`'s hook does for every job, and counts those queued
/// from a thread other than the loop's.
final class LoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let loop: any EventLoop
    private let lock = NSLock()
    private var fromElsewhere = 0

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        if !loop.inEventLoop { lock.withLock { fromElsewhere += 1 } }
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    var queuedFromElsewhere: Int { lock.withLock { fromElsewhere } }
}
