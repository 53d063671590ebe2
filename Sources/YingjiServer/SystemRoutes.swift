import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import YingjiCore

/// `/health`, `/metrics` and the jurisdictions served.
struct SystemRoutes {
    let server: Server

    func add(to router: Router<YingjiRequestContext>) {
        router.get("health", use: health)
        router.get("metrics", use: metrics)
        router.get("api/v1/jurisdictions", use: jurisdictions)
        router.post("api/v1/jurisdictions", use: addJurisdiction)
    }

    /// Alive and the database answers; 503 when it does not.
    @Sendable func health(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        do {
            _ = try await server.store.incidents.openCounts()
            return JSONResponse.make(.ok, ["status": "ok", "database": .string(server.store.engine.rawValue)])
        } catch {
            context.logger.error("health check failed", metadata: ["error": "\(String(reflecting: error))"])
            return JSONResponse.make(.serviceUnavailable, ["status": "unavailable", "database": .string(server.store.engine.rawValue)])
        }
    }

    @Sendable func metrics(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let text = try await server.metrics.exposition(store: server.store, events: server.events)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Sendable func jurisdictions(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        _ = try context.requireIdentity()
        let items = server.catalog.jurisdictions.map { IncidentView.jurisdiction($0, plan: server.catalog.plan(forJurisdiction: $0.id)) }
        return JSONResponse.make(.ok, ["items": .array(items), "plans": .array(server.catalog.availablePlanIDs().map(JSONValue.string))])
    }

    /// Adding a jurisdiction needs `jurisdiction.manage` over its parent (a top-level one: over all, `*`).
    @Sendable func addJurisdiction(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let write = try await IdempotentWrite(request, context: context)
        let body = try JSONBody(write.body, allowed: ["id", "name", "parentID", "planID"])
        let jurisdiction = RegisteredJurisdiction(id: try body.requiredString("id"), name: try body.requiredString("name"),
                                                  parentID: try body.string("parentID"), planID: try body.string("planID"))
        let tree = server.catalog.tree
        let managing = identity.grants(for: .manageJurisdictions)
        guard managing.contains(where: { grant in
            grant.jurisdictionID == JurisdictionTree.everywhere || jurisdiction.parentID.map { tree.isWithin($0, grant.jurisdictionID) } ?? false
        }) else {
            throw APIError.denied(.manageJurisdictions, detail: jurisdiction.parentID.map { "在「\(server.catalog.jurisdiction($0)?.name ?? $0)」之下" } ?? "（顶级辖区须有全部辖区的管理员）")
        }
        try await server.catalog.register(jurisdiction)
        server.events.tellPeers(PeerMessage.jurisdictionRegistered, ["id": .string(jurisdiction.id)])
        return JSONResponse.make(.created, IncidentView.jurisdiction(jurisdiction, plan: server.catalog.plan(forJurisdiction: jurisdiction.id)),
                                 headers: [.location: "/api/v1/jurisdictions/\(jurisdiction.id)"])
    }
}

/// `GET /api/v1/events`: server-sent events for boards, resumable with `Last-Event-ID`.
struct EventRoutes {
    let server: Server

    func add(to router: Router<YingjiRequestContext>) {
        router.get("api/v1/events", use: stream)
    }

    @Sendable func stream(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        let lastEventID = request.headers[.lastEventID] ?? request.uri.queryParameters["lastEventId"].map(String.init)
        let live = LiveIdentity(try context.requireIdentity())
        let catalog = server.catalog
        let events = server.events
        let accounts = server.accounts
        let address = context.address
        let (id, missed, stream) = events.subscribe(lastEventID: lastEventID) { access in
            live.current.map { $0.canSee(access, tree: catalog.tree) } ?? false
        }
        var headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"]
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { Task { events.unsubscribe(id) } }
            try await writer.write(ByteBuffer(string: "retry: 2000\n: 已连接\n\n"))
            for event in missed { try await writer.write(event.frameBytes) }
            // On graceful shutdown the stream ends, so the server does not wait on open boards.
            try await withGracefulShutdownHandler {
                for await event in stream {
                    if event.name.isEmpty {
                        // At each keep-alive the session or token is checked again: a board whose
                        // account signed out, lost its role or was disabled stops receiving.
                        let again = try? await AuthMiddleware.identify(request, accounts: accounts, address: address).identity
                        live.current = again
                        guard again != nil else { break }
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    } else {
                        try await writer.write(event.frameBytes)
                    }
                }
            } onGracefulShutdown: {
                Task { events.unsubscribe(id) }
            }
            try await writer.finish(nil)
        })
    }
}

/// The account behind an open event stream, re-checked at every keep-alive.
final class LiveIdentity: @unchecked Sendable {
    private let lock = NSLock()
    private var identity: Identity?

    init(_ identity: Identity) { self.identity = identity }

    var current: Identity? {
        get { lock.withLock { identity } }
        set { lock.withLock { identity = newValue } }
    }
}
