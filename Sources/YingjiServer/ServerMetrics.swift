import Foundation
import Hummingbird
import Prometheus
import YingjiStore

/// What `/metrics` exposes in Prometheus text format: requests by route and status, request
/// latency, open incidents and overdue obligations (read from the store at scrape time).
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let openIncidents: Gauge
    private let overdueObligations: Gauge
    private let sseSubscribers: Gauge

    static let buckets: [Duration] = [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2500].map { Duration.milliseconds($0) }

    init() {
        openIncidents = registry.makeGauge(descriptor: .init(namespace: "yingji", metricName: "open_incidents", unitName: "", helpText: "未结束的事故数"))
        overdueObligations = registry.makeGauge(descriptor: .init(namespace: "yingji", metricName: "overdue_obligations", unitName: "", helpText: "已逾期的报送事项数"))
        sseSubscribers = registry.makeGauge(descriptor: .init(namespace: "yingji", metricName: "event_subscribers", unitName: "", helpText: "已连接的事件流数"))
    }

    func record(method: String, route: String, status: Int, duration: Duration) {
        let (requests, durations) = collectors.get(RouteKey(method: method, route: route, status: status)) {
            (registry.makeCounter(descriptor: .init(namespace: "yingji", metricName: "http_requests", unitName: "total", helpText: "HTTP 请求数"),
                                  labels: [("method", method), ("route", route), ("status", String(status))]),
             registry.makeDurationHistogram(descriptor: .init(namespace: "yingji", metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP 请求耗时"),
                                            labels: [("method", method), ("route", route)], buckets: Self.buckets))
        }
        requests.increment()
        durations.record(duration)
    }

    /// The registry's collectors for each method, route and status, found once: the registry
    /// makes each metric's name and looks it up under its lock on every call.
    private let collectors = RouteCollectors()

    func exposition(store: Store, events: EventBus) async throws -> String {
        let counts = try await store.incidents.openCounts()
        openIncidents.set(Double(counts.openIncidents))
        overdueObligations.set(Double(counts.overdueObligations))
        sseSubscribers.set(Double(events.subscriberCount))
        return registry.emitToString()
    }
}

/// Counts every request by its route pattern (not the raw path, so ids do not explode the labels).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = YingjiRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.record(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: response.status.code, duration: ContinuousClock.now - start)
            return response
        } catch let error as HTTPResponseError {
            metrics.record(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: error.status.code, duration: ContinuousClock.now - start)
            throw error
        } catch {
            metrics.record(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: 500, duration: ContinuousClock.now - start)
            throw error
        }
    }
}

private struct RouteKey: Hashable {
    let method: String
    let route: String
    let status: Int
}

/// The counter and histogram of each method, route and status. Routes are the router's patterns
/// and methods the router's, so there are as many entries as the API has endpoints and answers.
private final class RouteCollectors: @unchecked Sendable {
    private let lock = NSLock()
    private var found: [RouteKey: (Counter, DurationHistogram)] = [:]
    static let limit = 1_000

    func get(_ key: RouteKey, make: () -> (Counter, DurationHistogram)) -> (Counter, DurationHistogram) {
        if let known = lock.withLock({ found[key] }) { return known }
        let made = make()
        // Past the API's size (methods no route takes, say) they are made each time, as before.
        lock.withLock { if found.count < Self.limit { found[key] = made } }
        return made
    }
}
