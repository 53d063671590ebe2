import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YingjiCore
import YingjiServer

@Suite struct SystemAPITests {
    @Test(arguments: Engine.all) func healthAndMetricsReportTheStore(_ engine: Engine) async throws {
        let clock = TestClock(t0)
        let running = try await TestServer.start(engine, clock: clock)
        try await running.test { client in
            var response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == .ok)
            #expect(try object(response)["database"] as? String == engine.rawValue)
            try await create(client)
            clock.set(at(61))
            try await running.server.sweep()
            response = try await client.execute(uri: "/metrics", method: .get)
            let text = String(buffer: response.body)
            #expect(text.contains("yingji_open_incidents 1"))
            #expect(text.contains("yingji_overdue_obligations 1"))
            #expect(text.contains(#"yingji_http_requests_total{method="POST",route="/api/v1/incidents",status="201"} 1"#))
            #expect(text.contains("yingji_http_request_duration_seconds_bucket"))

            // Each method, route and status counts on its own; the latency of a route covers all its answers.
            try await create(client)
            response = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(), body: json(["jurisdiction": "kunyu"]))
            #expect(response.status == .unprocessableContent)
            let again = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(again.contains(#"yingji_http_requests_total{method="POST",route="/api/v1/incidents",status="201"} 2"#))
            #expect(again.contains(#"yingji_http_requests_total{method="POST",route="/api/v1/incidents",status="422"} 1"#))
            #expect(again.contains(#"yingji_http_request_duration_seconds_count{method="POST",route="/api/v1/incidents"} 3"#))
            #expect(again.contains(#"yingji_http_requests_total{method="GET",route="/metrics",status="200"} 1"#))
        }
    }

    @Test func jurisdictionsAreListedAndNewOnesChecked() async throws {
        try await TestServer.start(.sqlite).test { client in
            let listed = try object(try await get(client, "/api/v1/jurisdictions"))
            #expect((listed["items"] as? [[String: Any]])?.map { $0["id"] as? String }
                == ["bachu", "bachu-sebiya", "bingtuan", "kashgar", "kunyu", "kunyu-224", "lhasa", "lhasa-chengguan", "xizang"])
            #expect((listed["items"] as? [[String: Any]])?.first?["planName"] as? String != nil)
            // Only an administrator adds jurisdictions; a duty officer gets 403 and nothing is stored.
            var response = try await client.execute(uri: "/api/v1/jurisdictions", method: .post, headers: headers(),
                                                    body: json(["id": "kunyu-tc1", "name": "第一团场", "parentID": "kunyu", "planID": "kunyu"]))
            #expect(response.status == .forbidden)
            #expect(try errorField(response).code == "auth.forbidden")
            response = try await client.execute(uri: "/api/v1/jurisdictions", method: .post, headers: headers(as: "admin"),
                                                body: json(["id": "kunyu-tc1", "name": "第一团场", "parentID": "kunyu", "planID": "kunyu"]))
            #expect(response.status == .created)
            response = try await client.execute(uri: "/api/v1/jurisdictions", method: .post, headers: headers(as: "admin"),
                                                body: json(["id": "x", "name": "某地", "planID": "../../etc/passwd"]))
            #expect(response.status == .unprocessableContent)
            #expect(try errorField(response).field == "planID")
            response = try await client.execute(uri: "/api/v1/jurisdictions", method: .post, headers: headers(as: "admin"),
                                                body: json(["id": "kunyu", "name": "重复", "planID": "kunyu"]))
            #expect(response.status == .conflict)
            // The new jurisdiction takes reports under its plan.
            response = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(), body: json(kunyuReport(extra: ["jurisdiction": "kunyu-tc1"])))
            #expect(response.status == .created)
        }
    }

    @Test func demoSeedsAnEmptyDatabaseOnly() async throws {
        let store = try await Engine.sqlite.openStore()
        let server = try await Server(store: store, library: planLibrary, clock: TestClock(t0), hasher: PasswordHasher(cost: 4))
        #expect(try await Demo.seed(server))
        #expect(server.catalog.jurisdictions.map(\.id) == ["bachu", "bachu-sebiya", "bingtuan", "kashgar", "kunyu", "kunyu-224", "lhasa", "lhasa-chengguan", "xizang"])
        #expect(server.catalog.jurisdiction("kunyu")?.parentID == "bingtuan")
        #expect(server.catalog.jurisdiction("bingtuan")?.planID == nil)
        let incidents = try await store.incidents.incidents(IncidentQuery())
        #expect(incidents.count == 1)
        #expect(incidents.first?.grade?.grade == 3)
        #expect(incidents.first?.organisationID == "kunyu-chem")
        // Every role in every seed jurisdiction has a demo account, and the printed password works.
        let users = try await store.accounts.users()
        // admin, every role but administrator in each seed jurisdiction, the areas' duty officers,
        // a duty officer and a commander at each level above.
        let expectedUsers = 1 + 3 * (UserRole.allCases.count - 1) + 3 + 3 * 2
        #expect(users.count == expectedUsers)
        for jurisdiction in ["kunyu", "bachu", "lhasa"] {
            for role in UserRole.allCases where role != .administrator {
                let user = try #require(try await store.accounts.user(login: "\(jurisdiction)-\(role.rawValue)"))
                #expect(try await store.accounts.grants(userID: user.id).map(\.role) == [role])
            }
        }
        #expect(try await server.accounts.login("lhasa-general-commander", password: Demo.password, address: "127.0.0.1").identity.grants
            == [RoleGrant(role: .generalCommander, jurisdictionID: "lhasa")])
        #expect(Demo.loginSheet.contains("kunyu-enterprise-reporter（企业报告员）"))
        #expect(Demo.loginSheet.contains(Demo.password))
        #expect(try await Demo.seed(server) == false)
        #expect(try await store.incidents.incidents(IncidentQuery()).count == 1)
        try await store.close()
    }

    @Test func eventBusResumesFromLastEventIDOrAsksForAReload() async throws {
        let bus = EventBus(boot: "b1")
        bus.publish("incident.created", ["id": "a"])
        bus.publish("incident.changed", ["id": "a"])
        bus.publish("incident.changed", ["id": "b"])
        let resumed = bus.subscribe(lastEventID: "b1-1")
        #expect(resumed.missed.map(\.id) == ["b1-2", "b1-3"])
        #expect(resumed.missed.map(\.name) == ["incident.changed", "incident.changed"])
        #expect(bus.subscribe(lastEventID: "b1-3").missed.isEmpty)
        #expect(bus.subscribe(lastEventID: "other-2").missed.map(\.name) == ["reset"])
        #expect(bus.subscribe(lastEventID: "b1-99").missed.map(\.name) == ["reset"])
        #expect(bus.subscribe(lastEventID: nil).missed.isEmpty)
        // Live delivery to a subscriber.
        bus.publish("obligation.overdue", ["id": "o1"])
        var iterator = resumed.stream.makeAsyncIterator()
        let live = await iterator.next()
        #expect(live?.id == "b1-4")
        #expect(live?.frame == "id: b1-4\nevent: obligation.overdue\ndata: {\"id\":\"o1\"}\n\n")
        // A subscriber receives, live and on resume, only events about incidents it may see.
        bus.publish("incident.created", ["id": "k"], access: IncidentAccess(jurisdiction: "kunyu"))
        bus.publish("incident.created", ["id": "l"], access: IncidentAccess(jurisdiction: "lhasa"))
        let filtered = bus.subscribe(lastEventID: "b1-4") { $0.jurisdiction == "lhasa" }
        #expect(filtered.missed.map(\.id) == ["b1-6"])
        bus.publish("incident.changed", ["id": "k"], access: IncidentAccess(jurisdiction: "kunyu"))
        bus.publish("incident.changed", ["id": "l"], access: IncidentAccess(jurisdiction: "lhasa"))
        var filteredLive = filtered.stream.makeAsyncIterator()
        #expect(await filteredLive.next()?.id == "b1-8")
    }

    /// Publishers on many threads at once (every write publishes from its own event loop): each
    /// event gets its own number, and a board receives every one, in the order of their numbers,
    /// as does a board that resumes from the middle.
    @Test func eventsPublishedFromManyThreadsArriveOnceEachInOrder() async throws {
        let bus = EventBus(boot: "m")
        let board = bus.subscribe(lastEventID: nil)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask { for index in 0..<100 { bus.publish("incident.changed", ["writer": .int(Int64(writer)), "n": .int(Int64(index))]) } }
            }
        }
        var received: [Int] = []
        var iterator = board.stream.makeAsyncIterator()
        while received.count < 800, let event = await iterator.next() { received.append(Int(event.id.dropFirst(2))!) }
        #expect(received == Array(1...800))
        #expect(bus.subscribe(lastEventID: "m-750").missed.map(\.id) == (751...800).map { "m-\($0)" })
        bus.unsubscribe(board.id)
        bus.finishAll()
        #expect(bus.subscriberCount == 0)
    }

    /// Over a real socket: a board connected to /api/v1/events sees a new incident as it is reported.
    @Test func eventStreamDeliversOverHTTP() async throws {
        let running = try await TestServer.start(.sqlite)
        let app = Application(router: running.server.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            func subscribe(_ login: String) throws -> SocketReader {
                let reader = try SocketReader(port: port)
                try reader.send("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer \(testToken(login))\r\n\r\n")
                return reader
            }
            let reader = try subscribe("kunyu-duty-officer")
            let greeting = try reader.read(until: "已连接")
            #expect(greeting.contains("200 OK"))
            #expect(greeting.lowercased().contains("content-type: text/event-stream"))
            // The 二二四团 duty officer's board gets only incidents of its own area, never the 师市's.
            let area = try subscribe("kunyu-224-duty-officer")
            _ = try area.read(until: "已连接")
            let created = try await create(client)
            let frame = try reader.read(until: "\n\n", after: "event: incident.created")
            #expect(frame.contains(try #require(created["id"] as? String)))
            let local = try await create(client, kunyuReport(extra: ["jurisdiction": "kunyu-224"]), as: "kunyu-224-duty-officer")
            let areaFrame = try area.read(until: "\n\n", after: "event: incident.created")
            #expect(areaFrame.contains(try #require(local["id"] as? String)))
            #expect(!areaFrame.contains(try #require(created["id"] as? String)))
            // Its token is revoked: at the next keep-alive the server checks again and ends that
            // stream; the other board just gets the keep-alive.
            try await running.server.accounts.revokeToken(id: "tok_kunyu-224-duty-officer", by: "测试")
            running.server.events.heartbeat()
            #expect(try area.read(until: "0\r\n\r\n").hasSuffix("0\r\n\r\n"))
            #expect(try reader.read(until: ": keep-alive").contains(": keep-alive"))
            reader.close()
            area.close()
            // Without an account the stream is refused.
            let anonymous = try SocketReader(port: port)
            try anonymous.send("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try anonymous.read(until: "\r\n").contains("401"))
            anonymous.close()
        }
        try await running.server.store.close()
    }
}

/// A blocking socket client for reading a streamed response as it arrives.
final class SocketReader: @unchecked Sendable {
    private let descriptor: Int32
    private var received = ""

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count else { throw POSIXError(.EIO) }
    }

    /// Reads until `marker` appears (after `after`, when given); returns what was read so far.
    func read(until marker: String, after: String? = nil) throws -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let after, let start = received.range(of: after) {
                if received[start.upperBound...].contains(marker) { return String(received[start.lowerBound...]) }
            } else if after == nil, received.contains(marker) {
                return received
            }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { throw POSIXError(.ETIMEDOUT) }
            received += String(decoding: buffer[0..<count], as: UTF8.self)
        }
    }

    func close() { _ = Glibc.close(descriptor) }
}

/// docs/openapi.yaml and the router describe the same routes, and a wrong method is 405.
@Suite struct OpenAPIContractTests {
    /// `:id` → `{id}`, `:id.cap.xml` → `{id}.cap.xml`.
    static func documented(_ segment: Substring) -> String {
        guard segment.hasPrefix(":") else { return String(segment) }
        let name = segment.dropFirst()
        guard let dot = name.firstIndex(of: ".") else { return "{\(name)}" }
        return "{\(name[..<dot])}\(name[dot...])"
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() throws {
        let spec = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        var documented: Set<String> = []
        var path: String?
        for line in spec.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("components:") {
                path = nil
            } else if let current = path, let method = ["get", "post", "put", "patch", "delete"].first(where: { line.hasPrefix("    \($0):") }) {
                documented.insert("\(method.uppercased()) \(current)")
            }
        }
        let served = Set(Server.routes.map { route in
            "\(route.method.rawValue) " + route.path.split(separator: "/").map(Self.documented).reduce("") { $0 + "/" + $1 }
        })
        #expect(documented == served)
        #expect(served.count == 29)
    }

    @Test func wrongMethodOnAKnownPathIs405WithAllow() async throws {
        try await TestServer.start(.sqlite).test { client in
            let response = try await client.execute(uri: "/api/v1/incidents/abc", method: .delete, headers: headers())
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "GET")
            #expect(try errorField(response).code == "http.405")
            let unknown = try await client.execute(uri: "/api/v1/incidents/abc/nothing", method: .delete, headers: headers())
            #expect(unknown.status == .notFound)
        }
    }
}
