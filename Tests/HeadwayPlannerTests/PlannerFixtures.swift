import Foundation
import HeadwayCore
import HeadwayPlanner

/// Reference-simulator cases from `Tests/Fixtures/reference-sim/` and small synthetic clusters for planner tests.
enum PlannerFixtures {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures")
    }

    struct ReferenceCase {
        var cluster: Cluster
        var model: ReferenceCostModel
        var expected: [String: Any]
        var position: TokenPosition { TokenPosition(promptLength: model.sequenceLength, generated: 0) }
        func request(previous: Placement? = nil) -> PlanningRequest {
            PlanningRequest(costModel: model, state: cluster.nominalState, position: position, previous: previous)
        }
        func entry(_ algorithm: String) -> [String: Any] { expected[algorithm] as! [String: Any] }
        /// `{block name: device id}` of an expected entry as a placement.
        func placement(of algorithm: String) -> Placement {
            let map = entry(algorithm)["assignment"] as! [String: String]
            let layout = model.layout
            return Placement(devices: (0..<layout.count).map { cluster.index(of: map[layout.name(of: $0)]!)! })
        }
    }

    static func referenceCase(_ name: String) throws -> ReferenceCase {
        let data = try Data(contentsOf: root.appendingPathComponent("reference-sim/\(name).json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let scenario = json["scenario"] as! [String: Any]
        let model = scenario["model"] as! [String: Any]
        let shape = ModelShape.reference(
            name: name, heads: model["num_heads"] as! Int, dim: model["embedding_dim"] as! Int)
        let devices = (scenario["devices"] as! [[String: Any]]).map {
            Device(
                id: $0["id"] as! String, memory: Bytes(gigabytes: $0["memory_gb"] as! Double),
                compute: FLOPsPerSecond($0["compute_flops"] as! Double), memoryBandwidth: BytesPerSecond(1e12))
        }
        let links = (scenario["links"] as! [[String: Any]]).map {
            Link(a: $0["a"] as! String, b: $0["b"] as! String,
                 bandwidth: BytesPerSecond(gigabytesPerSecond: $0["bandwidth"] as! Double))
        }
        return ReferenceCase(
            cluster: try Cluster(devices: devices, links: links),
            model: ReferenceCostModel(shape: shape, sequenceLength: scenario["sequence_length"] as! Int),
            expected: json["expected"] as! [String: Any])
    }

    static func close(_ a: Double, _ b: Double, _ rel: Double = 1e-9) -> Bool { abs(a - b) <= rel * max(abs(a), abs(b)) }

    /// A single-layer MHA model whose attention blocks are heavy enough that running them in parallel pays.
    static let wideSingleLayer = ModelShape(
        name: "wide-1-layer", layerCount: 1, modelDim: 4096, headCount: 8, kvHeadCount: 8, ffnDim: 4096,
        gatedFFN: false, vocabSize: 1000, weightBytes: 2)

    /// `count` identical devices on a fast full mesh.
    static func identicalCluster(count: Int, memoryGB: Double = 8, linkGbps: Double = 100, latency: Seconds = Seconds(microseconds: 50)) throws -> Cluster {
        try Cluster.fullMesh(
            devices: (0..<count).map {
                Device(id: "d\($0)", memory: Bytes(gigabytes: memoryGB), compute: FLOPsPerSecond(gigaflops: 50),
                       memoryBandwidth: BytesPerSecond(gigabytesPerSecond: 10))
            },
            bandwidth: BytesPerSecond(gigabitsPerSecond: linkGbps), latency: latency)
    }
}

/// A tiny deterministic generator (SplitMix64) for random instances.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * unit() }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
}
