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
        let labels = [("method", method), ("route", route), ("status", String(status))]
        registry.makeCounter(descriptor: .init(namespace: "yingji", metricName: "http_requests", unitName: "total", helpText: "HTTP 请求数"), labels: labels).increment()
        registry.makeDurationHistogram(descriptor: .init(namespace: "yingji", metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP 请求耗时"),
                                       labels: [("method", method), ("route", route)], buckets: Self.buckets).record(duration)
    }

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
