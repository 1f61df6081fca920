// Random heterogeneous clusters, deterministic for a seed.
//
// Independence of streams: every device draws from a stream derived from the root by its index ("device/<i>") and
// every link from one derived from its endpoint pair ("link/<i>/<j>"), so growing `deviceCount` from N to N+1 keeps
// devices 0..<N and their mutual links (full mesh / star / Erdős–Rényi decisions) exactly as they were.
//
// Deliberate differences from the authors' simulator (reference-simulator.md §3.1): compute really is log-normal in
// [5, 50] GFLOP/s (theirs collapses onto the clip bound because mu is in log-FLOP/s units of the wrong scale), the
// bounds are the spec's (no hard-coded [2, 16] GB override), links are in Gbit/s converted to bytes (theirs treat the
// Gbps number as GB/s, 8× too fast), and there are no fixed cloud/regional tiers (use a `DeviceMix` for that).

/// How device capabilities are drawn.
public enum DevicePopulation: Codable, Sendable, Hashable {
    /// Independent bounded log-normals, the paper's setting.
    case logNormal(LogNormalDevices)
    /// A weighted mix of real device classes.
    case mix(DeviceMix)
}

/// Per-device log-normal capabilities (the paper: "memory and compute sampled from log-normal distributions",
/// compute "log-normal 5–50 GFLOPS"; memory parameters were not published).
public struct LogNormalDevices: Codable, Sendable, Hashable {
    /// Memory available to Headway, in GB (1 GB = 1024³ bytes). Default: median 4, sigma 0.55, clipped to [2, 16].
    public var memoryGB: BoundedLogNormal
    /// Compute in GFLOP/s (1e9 FLOP/s). Default: `spanning(5, 50)` = median 15.8, sigma 0.576, clipped to [5, 50].
    public var computeGFLOPs: BoundedLogNormal
    /// Memory bandwidth in GB/s (1 GB = 1024³ bytes). Default: `spanning(5, 50)`.
    public var memoryBandwidthGBps: BoundedLogNormal
    /// Correlation in [-1, 1] between the normal draws behind compute and memory bandwidth: bandwidth uses
    /// Z_bw = rho·Z_compute + sqrt(1 - rho²)·Z', so faster devices tend to have faster memory, as real SoCs do.
    /// Default 0.7; 0 makes them independent, 1 makes bandwidth a monotone function of compute.
    public var bandwidthComputeCorrelation: Double

    public init(
        memoryGB: BoundedLogNormal = BoundedLogNormal(median: 4, sigma: 0.55, lower: 2, upper: 16),
        computeGFLOPs: BoundedLogNormal = .spanning(5, 50),
        memoryBandwidthGBps: BoundedLogNormal = .spanning(5, 50),
        bandwidthComputeCorrelation: Double = 0.7
    ) {
        self.memoryGB = memoryGB
        self.computeGFLOPs = computeGFLOPs
        self.memoryBandwidthGBps = memoryBandwidthGBps
        self.bandwidthComputeCorrelation = bandwidthComputeCorrelation
    }

    func validate(_ field: String) throws {
        try memoryGB.validate("\(field).memory_gb")
        try computeGFLOPs.validate("\(field).compute_gflops")
        try memoryBandwidthGBps.validate("\(field).memory_bandwidth_gbps")
        guard abs(bandwidthComputeCorrelation) <= 1 else {
            throw CoreError(.invalidValue,
                "\(field): field 'bandwidth_compute_correlation' must be in [-1, 1], got \(bandwidthComputeCorrelation)")
        }
    }

    func device(id: String, _ rng: inout SeededGenerator) -> Device {
        let memory = memoryGB.sample(&rng)
        let zc = rng.standardNormal()
        let compute = computeGFLOPs.value(z: zc, redraw: { rng.standardNormal() })
        let rho = bandwidthComputeCorrelation
        let mix = (1 - rho * rho).squareRoot()
        let bandwidth = memoryBandwidthGBps.value(
            z: rho * zc + mix * rng.standardNormal(), redraw: { rho * zc + mix * rng.standardNormal() })
        return Device(
            id: id, memory: Bytes(gigabytes: memory), compute: FLOPsPerSecond(gigaflops: compute),
            memoryBandwidth: BytesPerSecond(gigabytesPerSecond: bandwidth))
    }
}

/// Links: which pairs, and their nominal bandwidth and latency.
public struct NetworkSpec: Codable, Sendable, Hashable {
    public var topology: Topology
    /// Nominal link bandwidth in Gbit/s (1e9 bits/s = 1.25e8 bytes/s), uniform per link. Default [1, 10].
    public var bandwidthGbps: UniformRange
    /// One-way link latency in milliseconds, uniform per link. Default 1 ms for every link.
    public var latencyMs: UniformRange

    public init(topology: Topology = .fullMesh, bandwidthGbps: UniformRange = UniformRange(1, 10),
                latencyMs: UniformRange = .constant(1)) {
        self.topology = topology
        self.bandwidthGbps = bandwidthGbps
        self.latencyMs = latencyMs
    }

    func validate(_ field: String) throws {
        try topology.validate("\(field).topology")
        try bandwidthGbps.validate("\(field).bandwidth_gbps", minimum: 0, strictMinimum: true)
        try latencyMs.validate("\(field).latency_ms")
    }
}

/// A spec for random clusters; `make(seed:)` builds one.
public struct ClusterGenerator: Codable, Sendable, Hashable {
    /// Number of devices, >= 1.
    public var deviceCount: Int
    public var devices: DevicePopulation
    public var network: NetworkSpec
    /// Index of the controller device (default 0). It never leaves under churn.
    public var controller: Int
    /// Device ids are `idPrefix + index` (default "device_": "device_0", "device_1", ...).
    public var idPrefix: String

    public init(
        deviceCount: Int, devices: DevicePopulation = .logNormal(LogNormalDevices()),
        network: NetworkSpec = NetworkSpec(), controller: Int = 0, idPrefix: String = "device_"
    ) {
        self.deviceCount = deviceCount
        self.devices = devices
        self.network = network
        self.controller = controller
        self.idPrefix = idPrefix
    }

    /// The paper's setting: log-normal devices (compute in [5, 50] GFLOP/s), a full mesh with uniform 1–10 Gbit/s
    /// links and 1 ms latency, controller = device 0. The paper's scales are 3–5 devices and 25 devices.
    public static func paper(deviceCount: Int) -> ClusterGenerator { ClusterGenerator(deviceCount: deviceCount) }

    /// Devices drawn from `mix` on the given network.
    public static func realistic(deviceCount: Int, mix: DeviceMix = .typicalEdge,
                                 network: NetworkSpec = NetworkSpec()) -> ClusterGenerator {
        ClusterGenerator(deviceCount: deviceCount, devices: .mix(mix), network: network)
    }

    public func validate(source: String = "cluster_generator") throws {
        guard deviceCount >= 1 else {
            throw CoreError(.invalidValue, "\(source): field 'device_count' must be >= 1, got \(deviceCount)")
        }
        guard deviceCount <= Cluster.maxDevices else {
            throw CoreError(.invalidValue,
                "\(source): field 'device_count' must be <= \(Cluster.maxDevices), got \(deviceCount)")
        }
        guard (0..<deviceCount).contains(controller) else {
            throw CoreError(.invalidValue,
                "\(source): field 'controller' must be in 0..<\(deviceCount), got \(controller)")
        }
        switch devices {
        case .logNormal(let spec): try spec.validate("\(source).devices")
        case .mix(let mix): try mix.validate("\(source).devices")
        }
        try network.validate("\(source).network")
    }

    /// The cluster for `seed`. Same spec and seed give the same cluster on every platform.
    /// - Throws: `CoreError` naming the field for an invalid spec.
    public func make(seed: UInt64, source: String = "cluster_generator") throws -> Cluster {
        try validate(source: source)
        let root = SeededGenerator(seed: seed)
        var devices: [Device] = []
        devices.reserveCapacity(deviceCount)
        for i in 0..<deviceCount {
            var rng = root.derived("device/\(i)")
            let id = "\(idPrefix)\(i)"
            switch self.devices {
            case .logNormal(let spec):
                devices.append(spec.device(id: id, &rng))
            case .mix(let mix):
                let c = (i == controller ? mix.controllerClass : nil) ?? mix.drawClass(&rng)
                devices.append(mix.device(id: id, class: c, &rng))
            }
        }
        let pairs = network.topology.pairs(count: deviceCount, controller: controller, rng: root)
        let links = pairs.map { (i, j) -> Link in
            var rng = root.derived("link/\(i)/\(j)")
            let gbps = network.bandwidthGbps.sample(&rng)
            let ms = network.latencyMs.sample(&rng)
            return Link(
                a: devices[i].id, b: devices[j].id, bandwidth: BytesPerSecond(gigabitsPerSecond: gbps),
                latency: Seconds(milliseconds: ms))
        }
        return try Cluster(devices: devices, links: links, controller: controller, source: source)
    }
}
