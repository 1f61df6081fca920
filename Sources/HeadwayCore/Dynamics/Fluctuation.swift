// The spec of how a cluster changes token by token: a composition of independent components.

/// How resources change over tokens. Every component is optional; `Fluctuation()` keeps the cluster nominal.
///
/// Per token and device, in this order:
/// 1. background load: available memory = nominal × (1 − memory load), compute = nominal × (1 − compute load),
///    memory bandwidth = nominal × (1 − min(1, `memoryBandwidthCoupling` × compute load));
/// 2. link bandwidth from `links`;
/// 3. presence = explicit `events` ∧ `churn` ∧ the device trace's `online` column (the controller is always present);
/// 4. traces: from a device's (link's) first trace row on, the trace's values replace the results of steps 1–2.
///
/// Random components draw from streams derived from the timeline seed and the device id (or link endpoints), so
/// adding a device or a link leaves the others' values unchanged.
public struct Fluctuation: Codable, Sendable, Hashable {
    /// Background load on each device's compute (a fraction of nominal FLOP/s).
    public var computeLoad: LoadProcess
    /// Background load on each device's memory (a fraction of nominal bytes), drawn independently of compute.
    public var memoryLoad: LoadProcess
    /// Memory-bandwidth load = min(1, coupling × compute load). Background work that keeps cores busy also streams
    /// memory, so by default (1.0) bandwidth loses the same fraction as compute; 0 leaves bandwidth nominal. >= 0.
    public var memoryBandwidthCoupling: Double
    /// Link bandwidth dynamics.
    public var links: LinkFluctuation
    /// Scheduled leaves and joins.
    public var events: [MembershipEvent]
    /// Random leaves and rejoins; nil for none.
    public var churn: Churn?
    /// Replayed device measurements; nil for none.
    public var deviceTrace: DeviceTrace?
    /// Replayed link measurements; nil for none.
    public var linkTrace: LinkTrace?

    public init(
        computeLoad: LoadProcess = .none, memoryLoad: LoadProcess = .none, memoryBandwidthCoupling: Double = 1,
        links: LinkFluctuation = .none, events: [MembershipEvent] = [], churn: Churn? = nil,
        deviceTrace: DeviceTrace? = nil, linkTrace: LinkTrace? = nil
    ) {
        self.computeLoad = computeLoad
        self.memoryLoad = memoryLoad
        self.memoryBandwidthCoupling = memoryBandwidthCoupling
        self.links = links
        self.events = events
        self.churn = churn
        self.deviceTrace = deviceTrace
        self.linkTrace = linkTrace
    }

    /// Nothing changes.
    public static let none = Fluctuation()

    /// The paper's perturbations (paper.md §5, §8.6): background compute load, here U(0, 0.3) per token as in the
    /// authors' simulator, and link bandwidth resampled U(1, 10) Gbit/s per token. No memory load, no churn.
    public static let paper = Fluctuation(computeLoad: .reference, links: .paper)

    /// The authors' simulator (reference-simulator.md §3.3, ToyComparison): U(0, 0.3) load on memory and compute
    /// every step, static links. Unlike theirs, memory bandwidth follows compute load (coupling 1) and load never
    /// accumulates across steps.
    public static let reference = Fluctuation(computeLoad: .reference, memoryLoad: .reference)

    /// - Throws: `CoreError` naming the field for invalid parameters, unknown devices or a controller that leaves.
    public func validate(for cluster: Cluster, source: String = "fluctuation") throws {
        try computeLoad.validate("\(source).compute_load")
        try memoryLoad.validate("\(source).memory_load")
        guard memoryBandwidthCoupling >= 0, memoryBandwidthCoupling.isFinite else {
            throw CoreError(.invalidValue,
                "\(source): field 'memory_bandwidth_coupling' must be >= 0, got \(memoryBandwidthCoupling)")
        }
        try links.validate("\(source).links")
        if let churn { try churn.validate("\(source).churn") }
        let controllerID = cluster.devices[cluster.controller].id
        for (i, e) in events.enumerated() {
            let field = "\(source).events[\(i)]"
            guard cluster.index(of: e.device) != nil else {
                throw CoreError(.unknownName, "\(field): field 'device': unknown device '\(e.device)'")
            }
            guard e.token >= 0 else {
                throw CoreError(.invalidValue, "\(field): field 'token' must be >= 0, got \(e.token)")
            }
            guard e.device != controllerID else {
                throw CoreError(.inconsistent,
                    "\(field): the controller '\(e.device)' is always present; it cannot \(e.event.rawValue)")
            }
        }
        if let churn {
            for (i, id) in churn.exempt.enumerated() where cluster.index(of: id) == nil {
                throw CoreError(.unknownName, "\(source).churn.exempt[\(i)]: unknown device '\(id)'")
            }
        }
    }
}
