// A catalogue of real edge devices with datasheet figures, for generating realistic heterogeneous clusters.
//
// Figures are PEAK numbers: installed RAM, theoretical DRAM bandwidth (transfer rate × bus width, decimal GB/s as
// vendors quote them) and theoretical FP32 throughput (units × clock × FLOP per cycle). What Headway can use is lower;
// `DeviceMix` scales them by configurable usable fractions (OS and other apps hold RAM; sustained matmul throughput and
// achievable STREAM bandwidth are below peak). Where a figure is derived rather than quoted, the derivation is given.

/// One kind of edge device with its peak capabilities.
public struct DeviceClass: Codable, Sendable, Hashable {
    /// Short name, also used as a label in generated device ids' provenance (e.g. "raspberry_pi_5").
    public var name: String
    /// Installed RAM (shared by CPU and GPU on these SoCs).
    public var memory: Bytes
    /// Peak FP32 throughput of the unit that would run the blocks (GPU where one is usable, else the CPU).
    public var compute: FLOPsPerSecond
    /// Peak DRAM bandwidth.
    public var memoryBandwidth: BytesPerSecond

    public init(name: String, memory: Bytes, compute: FLOPsPerSecond, memoryBandwidth: BytesPerSecond) {
        self.name = name
        self.memory = memory
        self.compute = compute
        self.memoryBandwidth = memoryBandwidth
    }

    /// Raspberry Pi 5, 8 GB. Source: Raspberry Pi 5 product brief (raspberrypi.com, Oct 2023): BCM2712, 4× Cortex-A76
    /// at 2.4 GHz, 4/8 GB LPDDR4X-4267, 32-bit bus. Bandwidth: 4267 MT/s × 4 B = 17.1 GB/s. Compute (derived):
    /// the A76 has two 128-bit NEON FMA pipes = 16 FP32 FLOP/cycle, × 2.4 GHz × 4 cores = 153.6 GFLOP/s.
    public static let raspberryPi5 = DeviceClass(
        name: "raspberry_pi_5", memory: Bytes(gigabytes: 8), compute: FLOPsPerSecond(gigaflops: 153.6),
        memoryBandwidth: BytesPerSecond(17.07e9))

    /// NVIDIA Jetson Orin Nano 8 GB (original 15 W mode). Source: NVIDIA Jetson Orin Nano series datasheet: 1024 CUDA
    /// cores, GPU max 625 MHz, 8 GB 128-bit LPDDR5, 68 GB/s. Compute (derived): 1024 × 2 FLOP (FMA) × 0.625 GHz =
    /// 1.28 TFLOP/s FP32. (The Dec 2024 "Super" firmware raises this to 1.02 GHz and 102 GB/s.)
    public static let jetsonOrinNano = DeviceClass(
        name: "jetson_orin_nano_8gb", memory: Bytes(gigabytes: 8), compute: FLOPsPerSecond(gigaflops: 1280),
        memoryBandwidth: BytesPerSecond(68e9))

    /// NVIDIA Jetson AGX Orin 64 GB, the small edge server of the catalogue. Source: NVIDIA Jetson AGX Orin series
    /// technical brief / datasheet: 2048 CUDA cores at up to 1.3 GHz, 64 GB 256-bit LPDDR5, 204.8 GB/s. Compute
    /// (derived): 2048 × 2 × 1.3 GHz = 5.32 TFLOP/s FP32.
    public static let jetsonAGXOrin = DeviceClass(
        name: "jetson_agx_orin_64gb", memory: Bytes(gigabytes: 64), compute: FLOPsPerSecond(gigaflops: 5325),
        memoryBandwidth: BytesPerSecond(204.8e9))

    /// Laptop: Apple MacBook Air with M2, 16 GB. Source: Apple M2 announcement (apple.com newsroom, June 2022):
    /// 100 GB/s unified memory bandwidth, 10-core GPU, up to 24 GB. Compute (derived): 10 cores × 128 FP32 ALUs × 2 ×
    /// 1.398 GHz = 3.58 TFLOP/s FP32 (Apple quotes 3.6 TFLOPS for this GPU).
    public static let laptopM2 = DeviceClass(
        name: "laptop_m2_16gb", memory: Bytes(gigabytes: 16), compute: FLOPsPerSecond(gigaflops: 3580),
        memoryBandwidth: BytesPerSecond(100e9))

    /// Phone: a Snapdragon 8 Gen 2 handset with 8 GB (e.g. Galaxy S23). Source: Qualcomm Snapdragon 8 Gen 2 product
    /// brief: LPDDR5X up to 4200 MHz, 64-bit bus → 8400 MT/s × 8 B = 67.2 GB/s. Compute (derived, CPU, since phone
    /// LLM runtimes such as llama.cpp run there): 1× Cortex-X3 at 3.19 GHz × 32 FP32 FLOP/cycle (4 128-bit FMA pipes)
    /// + 4× A715/A710 at 2.8 GHz × 16 + 3× A510 at 2.0 GHz × 8 ≈ 102 + 179 + 48 = 329 GFLOP/s.
    public static let phoneSnapdragon8Gen2 = DeviceClass(
        name: "phone_snapdragon_8_gen_2", memory: Bytes(gigabytes: 8), compute: FLOPsPerSecond(gigaflops: 329),
        memoryBandwidth: BytesPerSecond(67.2e9))

    /// Every catalogue entry, in a fixed order.
    public static let catalogue: [DeviceClass] = [
        .raspberryPi5, .jetsonOrinNano, .jetsonAGXOrin, .laptopM2, .phoneSnapdragon8Gen2,
    ]

    /// The catalogue entry with this name.
    public static func named(_ name: String) -> DeviceClass? { catalogue.first { $0.name == name } }
}

/// Draws devices from a weighted mix of `DeviceClass`es, scaled to what Headway can use and jittered per unit.
public struct DeviceMix: Codable, Sendable, Hashable {
    public struct Entry: Codable, Sendable, Hashable {
        public var deviceClass: DeviceClass
        /// Relative weight (>= 0; the weights need not sum to 1).
        public var weight: Double
        public init(_ deviceClass: DeviceClass, weight: Double) {
            self.deviceClass = deviceClass
            self.weight = weight
        }
    }

    public var entries: [Entry]
    /// Fraction of installed RAM available to Headway (the OS, runtime and other apps keep the rest). Default 0.75.
    public var usableMemoryFraction: Double
    /// Fraction of peak FP32 throughput sustained by the kernels. Default 0.5 (an assumption: tuned GEMM reaches
    /// 50–80 % of peak on these parts; edge runtimes usually less).
    public var computeEfficiency: Double
    /// Fraction of peak DRAM bandwidth achievable (STREAM-like). Default 0.7.
    public var memoryBandwidthEfficiency: Double
    /// Unit-to-unit variation: compute and memory bandwidth are multiplied by exp(sigma·Z), Z ~ N(0,1), the same Z for
    /// both (thermals and clocks affect both). Default 0.1; 0 for exact catalogue figures.
    public var jitterSigma: Double
    /// If set, the controller is always this class (otherwise it is drawn like the others).
    public var controllerClass: DeviceClass?

    public init(
        entries: [Entry], usableMemoryFraction: Double = 0.75, computeEfficiency: Double = 0.5,
        memoryBandwidthEfficiency: Double = 0.7, jitterSigma: Double = 0.1, controllerClass: DeviceClass? = nil
    ) {
        self.entries = entries
        self.usableMemoryFraction = usableMemoryFraction
        self.computeEfficiency = computeEfficiency
        self.memoryBandwidthEfficiency = memoryBandwidthEfficiency
        self.jitterSigma = jitterSigma
        self.controllerClass = controllerClass
    }

    /// A mix dominated by small boards and phones with a few laptops and one class of edge server: weights
    /// Pi 5 : Orin Nano : phone : laptop : AGX Orin = 4 : 2 : 2 : 1 : 1.
    public static let typicalEdge = DeviceMix(entries: [
        Entry(.raspberryPi5, weight: 4), Entry(.jetsonOrinNano, weight: 2), Entry(.phoneSnapdragon8Gen2, weight: 2),
        Entry(.laptopM2, weight: 1), Entry(.jetsonAGXOrin, weight: 1),
    ])

    func validate(_ field: String) throws {
        guard !entries.isEmpty else { throw CoreError(.invalidValue, "\(field): field 'entries' is empty") }
        for (i, e) in entries.enumerated() {
            guard e.weight >= 0, e.weight.isFinite else {
                throw CoreError(.invalidValue,
                    "\(field): entries[\(i)] ('\(e.deviceClass.name)'): field 'weight' must be >= 0, got \(e.weight)")
            }
        }
        guard entries.contains(where: { $0.weight > 0 }) else {
            throw CoreError(.invalidValue, "\(field): field 'entries' has no positive weight")
        }
        for (name, v) in [("usable_memory_fraction", usableMemoryFraction), ("compute_efficiency", computeEfficiency),
                          ("memory_bandwidth_efficiency", memoryBandwidthEfficiency)] {
            guard v > 0, v <= 1 else { throw CoreError(.invalidValue, "\(field): field '\(name)' must be in (0, 1], got \(v)") }
        }
        guard jitterSigma >= 0, jitterSigma.isFinite else {
            throw CoreError(.invalidValue, "\(field): field 'jitter_sigma' must be >= 0, got \(jitterSigma)")
        }
    }

    /// The class drawn for one device from its own stream.
    func drawClass(_ rng: inout SeededGenerator) -> DeviceClass {
        let total = entries.reduce(0) { $0 + $1.weight }
        var x = rng.nextUnit() * total
        for e in entries where e.weight > 0 {
            if x < e.weight { return e.deviceClass }
            x -= e.weight
        }
        return entries.last { $0.weight > 0 }!.deviceClass
    }

    /// A device of class `c`, scaled and jittered.
    func device(id: String, class c: DeviceClass, _ rng: inout SeededGenerator) -> Device {
        let jitter = StableMath.exp(jitterSigma * rng.standardNormal())
        return Device(
            id: id, memory: c.memory * usableMemoryFraction, compute: c.compute * (computeEfficiency * jitter),
            memoryBandwidth: c.memoryBandwidth * (memoryBandwidthEfficiency * jitter))
    }
}
