import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import YingjiCore
import YingjiPlans
import YingjiStore

/// Everything a running server holds: the store, the plans bound to jurisdictions, the incident
/// use cases, the event bus and the metrics.
public final class Server: Sendable {
    /// Largest request body accepted; more is refused with 413 before it is read.
    public static let maxBodyBytes = 64 * 1024
    /// How long before a reporting deadline `obligation.due_soon` is sent: a quarter of an hour,
    /// when the pages turn its countdown amber (site.js, SOON_MS).
    public static let defaultDueSoonLead: TimeInterval = 900
    /// Largest page form accepted: a report typed in Chinese is about nine bytes a character
    /// once form-encoded, so a long 初报 must not be refused where the same JSON would pass.
    public static let maxFormBytes = 512 * 1024

    public let store: Store
    public let catalog: JurisdictionCatalog
    public let incidents: IncidentService
    public let events: EventBus
    public let metrics: ServerMetrics
    public let clock: WallClock
    public let accounts: AccountService
    public let warnings: WarningService
    /// Session cookies carry `Secure` (set when the server sits behind TLS).
    public let secureCookies: Bool
    /// `https://host[:port]` the public reaches the server at, for the links in the warning feed
    /// and CAP messages; nil: taken from each request's Host header.
    public let publicURL: String?
    let pages: WebPages
    /// Set only by `serve --demo --test-clock`: the clock tests may move forward.
    let testClock: AdjustableClock?
    let logger: Logger
    let details = DetailCache()
    let dueSoon: DueSoonNotices

    public init(store: Store, library: PlanLibrary, clock: WallClock = SystemClock(), testClock: AdjustableClock? = nil, ids: IDGenerator = RandomIDGenerator(),
                hasher: PasswordHasher = PasswordHasher(), authSettings: AuthSettings = AuthSettings(), secureCookies: Bool = false,
                publicURL: String? = nil, dueSoonLead: TimeInterval = Server.defaultDueSoonLead, pages loadedPages: WebPages? = nil,
                logger: Logger = Logger(label: "yingji")) async throws {
        self.store = store
        dueSoon = DueSoonNotices(lead: max(0, dueSoonLead))
        self.clock = testClock ?? clock
        self.testClock = testClock
        self.logger = logger
        self.secureCookies = secureCookies
        self.publicURL = try publicURL.map(Self.publicURL)
        if let loadedPages { pages = loadedPages } else { pages = try await WebPages.load(clock: self.clock) }
        let catalog = JurisdictionCatalog(library: library, repository: store.jurisdictions)
        self.catalog = catalog
        try await catalog.load()
        accounts = AccountService(repository: store.accounts, hasher: hasher, settings: authSettings, clock: self.clock, ids: ids, tree: { catalog.tree })
        incidents = IncidentService(repository: store.incidents, plans: catalog, clock: self.clock, ids: ids, hasher: SHA256ChainHasher())
        warnings = WarningService(repository: store.warnings, plans: catalog, clock: self.clock, ids: ids, hasher: SHA256ChainHasher())
        events = EventBus(outbox: store.notifications == nil ? nil : EventOutbox())
        metrics = ServerMetrics()
    }

    /// A public address as given to `--public-url`, without a trailing `/`; refused, naming the
    /// option, unless it is `http(s)://host[:port]` with no path, query or fragment.
    public static func publicURL(_ text: String) throws -> String {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = components.host, !host.isEmpty, components.path.isEmpty, components.query == nil, components.fragment == nil,
              components.user == nil, components.password == nil,
              !trimmed.contains(where: { $0 == " " || $0 == "<" || $0 == ">" || $0 == "\"" || $0 == "&" }) else {
            throw APIError(.badRequest, "config.public_url", "--public-url：须为 http:// 或 https:// 开头、只含主机名（和端口）的地址，例如 https://yingji.example.gov.cn；收到「\(text)」",
                           field: "--public-url")
        }
        return trimmed
    }

    /// The router with every route and middleware; used by `application` and by the tests.
    public func router() -> Router<YingjiRequestContext> {
        let router = Router(context: YingjiRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: PageErrorMiddleware(pages: pages, catalog: catalog, accounts: accounts, publicURL: publicURL))
        router.add(middleware: ErrorMiddleware(routes: Self.routes))
        router.add(middleware: AuthMiddleware(accounts: accounts))
        SystemRoutes(server: self).add(to: router)
        SessionRoutes(server: self).add(to: router)
        WebRoutes(server: self, pages: pages).add(to: router)
        IncidentRoutes(server: self).add(to: router)
        CommandRoutes(server: self).add(to: router)
        WarningRoutes(server: self).add(to: router)
        EventRoutes(server: self).add(to: router)
        if let testClock { TestClockRoutes(server: self, clock: testClock).add(to: router) }
        return router
    }

    /// Every route the server answers, for 405 answers (and kept in step with docs/openapi.yaml).
    public static let routes: [(path: String, method: HTTPRequest.Method)] = [
        ("/health", .get), ("/metrics", .get),
        ("/api/v1/session", .post), ("/api/v1/session", .get), ("/api/v1/session", .delete),
        ("/api/v1/jurisdictions", .get), ("/api/v1/jurisdictions", .post),
        ("/api/v1/incidents", .get), ("/api/v1/incidents", .post),
        ("/api/v1/incidents/:id", .get),
        ("/api/v1/incidents/:id/reports", .get), ("/api/v1/incidents/:id/reports", .post),
        ("/api/v1/incidents/:id/transitions", .post),
        ("/api/v1/incidents/:id/obligations", .get),
        ("/api/v1/incidents/:id/obligations/:obligationID/fulfilment", .post),
        ("/api/v1/incidents/:id/timeline", .get),
        ("/api/v1/incidents/:id/corrections", .post),
        ("/api/v1/incidents/:id/command", .get), ("/api/v1/incidents/:id/command", .post),
        ("/api/v1/incidents/:id/lead-department", .post),
        ("/api/v1/obligations", .get),
        ("/api/v1/warnings", .get), ("/api/v1/warnings", .post),
        ("/api/v1/warnings/:id", .get), ("/api/v1/warnings/:id.cap.xml", .get),
        ("/api/v1/warnings/:id/moves", .post),
        ("/api/v1/warnings/:id/timeline", .get),
        ("/api/v1/feeds/warnings.json", .get),
        ("/api/v1/events", .get),
    ]

    /// The application: HTTP server plus the overdue sweeper, shut down gracefully on SIGTERM/SIGINT
    /// when run as a service.
    public func application(host: String, port: Int, sweepInterval: Duration = .seconds(1),
                            onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        var app = Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "yingji"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
        app.addServices(OverdueSweeper(server: self, interval: sweepInterval))
        if let channel = store.notifications, let outbox = events.outbox {
            app.addServices(EventRelay(channel: channel, server: self, outbox: outbox))
        }
        return app
    }

    /// Runs one sweep: marks what fell due, publishes what changed (each incident as soon as its
    /// change is stored) and what falls due soon; returns what it did to each incident it changed.
    /// Also used by tests with a fixed clock.
    @discardableResult
    public func sweep() async throws -> [SweptIncident] {
        let logger = self.logger
        var changed: [SweptIncident] = []
        do {
            try await incidents.sweepOverdue(failed: { id, error in
                logger.error("overdue sweep skipped an incident", metadata: ["incident": "\(id)", "error": "\(String(reflecting: error))"])
            }, swept: { incident, swept in
                publish(swept, of: incident)
                changed.append(swept)
            })
        } catch {
            // Reminders do not wait for the overdue sweep to work again.
            await announceDueSoonLogged()
            throw error
        }
        await announceDueSoonLogged()
        return changed
    }

    private func publish(_ swept: SweptIncident, of incident: Incident) {
        for obligation in swept.newlyOverdue {
            events.publish("obligation.overdue", IncidentView.obligation(obligation, incident: incident), access: incident.access)
        }
        for task in swept.newlyEscalated {
            events.publish("task.escalated", [
                "incidentID": .string(incident.id), "taskID": .string(task.id), "title": .string(task.title),
                "level": .int(Int64(task.escalations.last?.level ?? 0)), "to": .optional(task.escalations.last?.to),
            ], access: incident.access)
        }
        for task in swept.newlyOverdueTasks {
            events.publish("task.overdue", [
                "incidentID": .string(incident.id), "taskID": .string(task.id), "title": .string(task.title),
                "dueAt": .time(task.dueAt), "assignee": .string(task.assignee.name), "to": .optional(incident.commandPost?.commander),
            ], access: incident.access)
        }
        events.publish("incident.changed", IncidentView.summary(incident), access: incident.access)
    }

    private func announceDueSoonLogged() async {
        do {
            try await announceDueSoon()
        } catch {
            logger.error("due-soon reminders skipped", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}

extension Server {
    /// Runs `app` until SIGTERM or SIGINT, then shuts it down gracefully (in-flight requests
    /// finish), as Hummingbird's `runService` does, with the application named for ServiceLifecycle
    /// rather than described by reflection over all of it.
    public static func run(_ app: some ApplicationProtocol, logger: Logger) async throws {
        let group = ServiceGroup(configuration: .init(services: [.init(service: app, serviceName: "yingji")],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Marks obligations overdue as their time comes and keeps event streams alive. On graceful
/// shutdown it ends the event streams so open connections close and the server can stop.
struct OverdueSweeper: Service, CustomStringConvertible {
    let server: Server
    let interval: Duration
    /// ServiceLifecycle names each service by its description; without one, Swift builds it by
    /// reflecting over every stored property, a few milliseconds of a cold start.
    var description: String { "OverdueSweeper" }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var beats = 0
            while !Task.isCancelled {
                do {
                    try await server.sweep()
                } catch {
                    server.logger.error("overdue sweep failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                beats += 1
                if beats % 15 == 0 { server.events.heartbeat() }
                try? await Task.sleep(for: interval)
            }
        }
        server.events.finishAll()
    }
}
