import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
import YingjiCore
@testable import YingjiStore
@testable import YingjiServer

/// Servers sharing one PostgreSQL database hear each other's events (LISTEN/NOTIFY).
/// Waits are bounded (30 s each) but generous: with the whole suite running at once on two
/// cores, a server here can take tens of seconds to get its turn.
@Suite(.timeLimit(.minutes(5))) struct EventRelayTests {
    @Test func eachSchemaHasAChannelOfItsOwn() {
        #expect(NotificationChannel.name(schema: nil) == "yingji_events")
        #expect(NotificationChannel.name(schema: "city") == "yingji_events_city")
        // Two long schemas that share their first 49 characters still get two channels, each a
        // PostgreSQL identifier (at most 63 bytes).
        let first = NotificationChannel.name(schema: String(repeating: "a", count: 55) + "one")
        let second = NotificationChannel.name(schema: String(repeating: "a", count: 55) + "two")
        #expect(first != second)
        #expect(first.utf8.count <= 63 && second.utf8.count <= 63)
        #expect(first.hasPrefix("yingji_events_aaaa"))
    }

    @Test func peerMessagesCarryTheEventAndWhoMaySeeIt() throws {
        let access = IncidentAccess(jurisdiction: "kunyu", organisationID: "kunyu-chem", involvedOrganisations: ["kunyu-police", "kunyu-fire"])
        let message = PeerMessage(name: "incident.created", data: ["id": "inc_1", "grade": 3, "名称": "较大\n第二行"], access: access)
        let open = PeerMessage(name: "warning.changed", data: ["id": "w"], access: nil)
        #expect(!message.line.contains("\n"))
        let packets = PeerMessage.packets(origin: "b1", lines: [message.line, open.line]).map(\.payload)
        #expect(packets.count == 1)
        let (origin, messages) = try #require(PeerMessage.unpack(packets[0]))
        #expect(origin == "b1")
        #expect(messages() == [message, open])
        #expect(messages().first??.access?.involvedOrganisations == ["kunyu-police", "kunyu-fire"])
        // Too long for a NOTIFY: the others are told to reload instead.
        let long = PeerMessage(name: "incident.changed", data: ["text": .string(String(repeating: "长", count: 3_000))], access: access)
        #expect(long.line.utf8.count <= PeerMessage.longestLine)
        let sent = try #require(PeerMessage(line: Substring(long.line)))
        #expect(sent.name == "reset")
        #expect(sent.access == nil)
        // Many events fill several payloads, each within the limit, in order, none lost.
        let many = (0..<200).map { PeerMessage(name: "incident.changed", data: ["id": .string("inc_\($0)"), "text": .string(String(repeating: "字", count: 30))], access: access) }
        let packed = PeerMessage.packets(origin: "b1", lines: many.map(\.line))
        #expect(packed.map(\.lines).reduce(0, +) == many.count)
        let filled = packed.map(\.payload)
        #expect(filled.count > 1)
        #expect(filled.allSatisfy { $0.utf8.count <= NotificationChannel.payloadLimit })
        #expect(filled.flatMap { PeerMessage.unpack($0)!.messages() } == many)
        #expect(PeerMessage.packets(origin: "b1", lines: []).isEmpty)
        // Anything else on the channel is not a message.
        #expect(PeerMessage.unpack("hello") == nil)
        #expect(PeerMessage.unpack("b1\nhello")?.messages() == [nil])
        #expect(PeerMessage(line: #"{"name":"x"}"#) == nil)
        #expect(PeerMessage(line: #"{"name":"x","data":1,"access":{"organisationID":"o"}}"#) == nil)
    }

    @Test func theOutboxKeepsOrderWaitsAndCountsWhatItDropped() async throws {
        let outbox = EventOutbox()
        outbox.put("1")
        outbox.put("2")
        var taken = await outbox.take()
        #expect(taken.messages == ["1", "2"])
        #expect(taken.dropped == 0)
        // A take waits for the next message.
        let waiting = Task { await outbox.take() }
        try await Task.sleep(for: .milliseconds(50))
        outbox.put("3")
        taken = await waiting.value
        #expect(taken.messages == ["3"])
        // What a dropped connection did not send goes back ahead of what came meanwhile.
        outbox.put("5")
        outbox.putBack(["3", "4"])
        #expect(await outbox.take().messages == ["3", "4", "5"])
        // Past the limit the oldest are dropped, and counted.
        for number in 0..<(EventOutbox.limit + 3) { outbox.put(String(number)) }
        taken = await outbox.take()
        #expect(taken.dropped == 3)
        #expect(taken.messages.count == EventOutbox.limit)
        #expect(taken.messages.first == "3")
        // A cancelled take returns at once, empty.
        let cancelled = Task { await outbox.take() }
        try await Task.sleep(for: .milliseconds(50))
        cancelled.cancel()
        #expect(await cancelled.value.messages.isEmpty)
        // SQLite has no channel and its bus sends nothing anywhere.
        let sqlite = try await Engine.sqlite.openStore()
        #expect(sqlite.notifications == nil)
        try await sqlite.close()
    }

    @Test(.enabled(if: Engine.all.contains(.postgres), "PostgreSQL only (CI sets DATABASE_URL)"))
    func serversOnOnePostgreSQLDatabaseHearEachOther() async throws {
        let url = ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        let schema = "r_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let a = try await TestServer.start(.postgres, store: try await Store.open(postgresURL: url, schema: schema))
        let storeB = try await Store.open(postgresURL: url, schema: schema)
        let b = try await Server(store: storeB, library: planLibrary, clock: a.clock, hasher: PasswordHasher(cost: 4))
        let channel = try #require(a.server.store.notifications)
        #expect(channel.name == "yingji_events_" + schema)
        #expect(storeB.notifications?.name == channel.name)
        let relays = Task {
            await withTaskGroup(of: Void.self) { group in
                for server in [a.server, b] {
                    group.addTask { try? await EventRelay(channel: channel, server: server, outbox: server.events.outbox!).run() }
                }
            }
        }
        let onA = a.server.events.subscribe(lastEventID: nil)
        let onB = b.events.subscribe(lastEventID: nil)
        var fromA = onA.stream.makeAsyncIterator()
        var fromB = onB.stream.makeAsyncIterator()
        /// The next event named `name` on a bus's stream (others are listed in `skipped`), or nil after 30 s.
        func next(_ name: String, on bus: EventBus, _ iterator: inout AsyncStream<ServerEvent>.Iterator, skipped: inout [String]) async -> ServerEvent? {
            let timer = Task {
                try await Task.sleep(for: .seconds(30))
                bus.publish("test.timeout", [:], relay: false)
            }
            defer { timer.cancel() }
            while let event = await iterator.next() {
                if event.name == name { return event }
                if event.name == "test.timeout" { return nil }
                skipped.append(event.name)
            }
            return nil
        }
        /// A publishes `name` every 0.1 s (for 30 s at most) until B hears it: until both listen, a NOTIFY reaches nobody.
        func untilBHears(_ name: String, skipped: inout [String]) async -> ServerEvent? {
            let saying = Task {
                for round in 0..<300 {
                    a.server.events.publish(name, ["round": .int(Int64(round))])
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            defer { saying.cancel() }
            return await next(name, on: b.events, &fromB, skipped: &skipped)
        }
        var skipped: [String] = []
        let heardHello = await untilBHears("test.hello", skipped: &skipped)
        #expect(heardHello != nil, "B never heard A")
        #expect(heardHello?.id.hasPrefix(b.events.boot + "-") == true)

        // An incident reported through A appears on B's boards, once, under B's event ids; a
        // jurisdiction added through A is known to B.
        let app = Application(router: a.server.router())
        let (id, added) = try await app.test(.router) { client in
            let created = try await create(client)
            let response = try await client.execute(uri: "/api/v1/jurisdictions", method: .post, headers: headers(as: "admin"),
                                                    body: json(["id": "kunyu-tc9", "name": "第九团场", "parentID": "kunyu", "planID": "kunyu"]))
            return (try #require(created["id"] as? String), response.status)
        }
        #expect(added == .created)
        let onBoardB = await next("incident.created", on: b.events, &fromB, skipped: &skipped)
        #expect(onBoardB?.data["id"]?.stringValue == id)
        #expect(onBoardB?.id.hasPrefix(b.events.boot + "-") == true)
        #expect(onBoardB?.access == IncidentAccess(jurisdiction: "kunyu", organisationID: nil, involvedOrganisations: []))
        let deadline = Date().addingTimeInterval(30)
        while b.catalog.jurisdiction("kunyu-tc9") == nil && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(b.catalog.plan(forJurisdiction: "kunyu-tc9")?.id == "kunyu")
        // A reminder each server makes for itself is not sent; what B sends, A hears, and A never
        // hears its own events back.
        a.server.events.publish("obligation.due_soon", ["id": "o"], relay: false)
        a.server.events.publish("test.marker", ["from": "a"])
        var skippedOnB: [String] = []
        #expect(await next("test.marker", on: b.events, &fromB, skipped: &skippedOnB) != nil)
        #expect(!skippedOnB.contains("obligation.due_soon"))
        b.events.publish("test.marker", ["from": "b"])
        var skippedOnA: [String] = []
        let marker = await next("test.marker", on: a.server.events, &fromA, skipped: &skippedOnA)  // A's own marker first
        #expect(marker?.data["from"]?.stringValue == "a")
        let fromPeer = await next("test.marker", on: a.server.events, &fromA, skipped: &skippedOnA)
        #expect(fromPeer?.data["from"]?.stringValue == "b")
        #expect(skippedOnA.filter { $0 == "incident.created" }.count == 1)

        // The channel's connections drop. A jurisdiction stored meanwhile without a word to the
        // others (as by a server whose message was lost) is read again once B listens again, and B
        // tells its boards to reload; then events flow again.
        try await a.server.store.jurisdictions.insert(RegisteredJurisdiction(id: "kunyu-tc10", name: "第十团场", parentID: "kunyu", planID: "kunyu"))
        #expect(b.catalog.jurisdiction("kunyu-tc10") == nil)
        _ = try await storeB.incidents.database.raw("""
            SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
            WHERE application_name = \(bind: channel.name)
            """).all()
        let reset = await next("reset", on: b.events, &fromB, skipped: &skipped)
        #expect(reset?.data["reason"]?.stringValue?.contains("重新加载") == true)
        #expect(b.catalog.plan(forJurisdiction: "kunyu-tc10")?.id == "kunyu")
        let heardAgain = await untilBHears("test.again", skipped: &skipped)
        #expect(heardAgain != nil, "B heard nothing from A after the reconnect")
        relays.cancel()
        await relays.value
        try await storeB.close()
        try await a.server.store.close()
    }
}
