import CoreMetrics
import Foundation
import Metrics
import Prometheus

/// The server's metrics: swift-metrics instruments on a Prometheus registry of this server's own (no global
/// bootstrap, so several servers can live in one process, as in tests). `GET /metrics` is `render(status:)`.
///
/// - `headway_tokens_generated_total`
/// - `headway_time_to_first_token_seconds`, `headway_token_latency_seconds`: histograms, as clients see them
///   (from the request's arrival to its first token; between consecutive tokens of one request)
/// - `headway_requests_total{endpoint, outcome}`: outcome `ok`, `client_error`, `unavailable`, `error`, `disconnected`
/// - from the backend's `ClusterStatus` at each scrape: `headway_device_up{device}`, `headway_link_bytes_total{from,to}`,
///   `headway_migrations_total`, `headway_migration_pause_seconds` (histogram), `headway_sequences{state}`,
///   `headway_engine_token_seconds` (the backend's last per-token step time)
public final class ServerMetrics: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let tokens: CoreMetrics.Counter
    private let ttft: Metrics.Timer
    private let tokenGap: Metrics.Timer
    private let migrationPause: Metrics.Timer
    private let migrationCount: CoreMetrics.Counter
    private let lock = NSLock()
    // Guarded by `lock`: what earlier scrapes already counted.
    private var linkBytesSeen: [String: Int] = [:]
    private var lastMigrationSeen = -1

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let latency: [Duration] = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5].map { .milliseconds($0 * 1000) }
        let ttftBuckets: [Duration] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30].map { .milliseconds($0 * 1000) }
        factory.durationHistogramBuckets = [
            "headway_time_to_first_token_seconds": ttftBuckets,
            "headway_token_latency_seconds": latency,
            "headway_migration_pause_seconds": latency,
        ]
        self.factory = factory
        tokens = CoreMetrics.Counter(label: "headway_tokens_generated_total", factory: factory)
        ttft = Metrics.Timer(label: "headway_time_to_first_token_seconds", factory: factory)
        tokenGap = Metrics.Timer(label: "headway_token_latency_seconds", factory: factory)
        migrationPause = Metrics.Timer(label: "headway_migration_pause_seconds", factory: factory)
        migrationCount = CoreMetrics.Counter(label: "headway_migrations_total", factory: factory)
    }

    func tokenGenerated() { tokens.increment() }
    func timeToFirstToken(_ d: Duration) { ttft.recordInterval(d) }
    func tokenLatency(_ d: Duration) { tokenGap.recordInterval(d) }

    enum Outcome: String { case ok, clientError = "client_error", unavailable, error, disconnected }

    func request(endpoint: String, outcome: Outcome) {
        CoreMetrics.Counter(label: "headway_requests_total", dimensions: [("endpoint", endpoint), ("outcome", outcome.rawValue)],
                factory: factory).increment()
    }

    func request(endpoint: String, error: ServerError) {
        request(endpoint: endpoint, outcome: error.status == 503 ? .unavailable : error.status >= 500 ? .error : .clientError)
    }

    /// Brings the cluster metrics up to `status`, then renders every metric in the Prometheus text format.
    public func render(status: ClusterStatus) -> String {
        lock.lock()
        defer { lock.unlock() }
        let names = Dictionary(status.devices.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        for d in status.devices {
            CoreMetrics.Gauge(label: "headway_device_up", dimensions: [("device", d.name)], factory: factory).record(d.up ? 1 : 0)
        }
        for link in status.links {
            let from = names[link.from] ?? "\(link.from)", to = names[link.to] ?? "\(link.to)"
            let key = "\(from)\u{0}\(to)"
            let delta = link.bytes - (linkBytesSeen[key] ?? 0)
            if delta > 0 {
                CoreMetrics.Counter(label: "headway_link_bytes_total", dimensions: [("from", from), ("to", to)], factory: factory)
                    .increment(by: Int64(delta))
                linkBytesSeen[key] = link.bytes
            }
        }
        for m in status.migrations where m.id > lastMigrationSeen {
            migrationCount.increment()
            migrationPause.recordInterval(.nanoseconds(Int64(m.pauseSeconds * 1e9)))
            lastMigrationSeen = m.id
        }
        CoreMetrics.Gauge(label: "headway_sequences", dimensions: [("state", "active")], factory: factory).record(status.activeSequences)
        CoreMetrics.Gauge(label: "headway_sequences", dimensions: [("state", "queued")], factory: factory).record(status.queuedSequences)
        if let last = status.tokenLatencies.last {
            CoreMetrics.Gauge(label: "headway_engine_token_seconds", factory: factory).record(last.seconds)
        }
        return registry.emitToString()
    }
}

extension Metrics.Timer {
    fileprivate func recordInterval(_ d: Duration) {
        let (s, atto) = d.components
        recordNanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }
}
