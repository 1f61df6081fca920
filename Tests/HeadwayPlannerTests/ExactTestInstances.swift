import Foundation
import HeadwayCore
import HeadwayPlanner

/// Deterministic random numbers for test instances (SplitMix64).
struct ExactTestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * Double(next() >> 11) / Double(1 << 53) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
}

/// A small random planning problem.
struct ExactTestInstance: CustomStringConvertible {
    var request: PlanningRequest
    var label: String
    var description: String { label }
}

enum ExactTestInstances {
    /// Random devices and a full mesh; memory drawn so that it binds in some instances.
    static func cluster(_ rng: inout ExactTestRandom, devices n: Int, memory: ClosedRange<Double>, linkLatency: Bool) -> Cluster {
        let devices = (0..<n).map { i in
            Device(
                id: "d\(i)", memory: Bytes(rng.uniform(memory.lowerBound, memory.upperBound)),
                compute: FLOPsPerSecond(gigaflops: rng.uniform(5, 50)),
                memoryBandwidth: BytesPerSecond(gigabytesPerSecond: rng.uniform(2, 40)))
        }
        var links: [Link] = []
        for i in 0..<n {
            for j in (i + 1)..<n {
                links.append(Link(
                    a: "d\(i)", b: "d\(j)", bandwidth: BytesPerSecond(gigabitsPerSecond: rng.uniform(1, 10)),
                    latency: Seconds(linkLatency ? rng.uniform(0, 5e-4) : 0)))
            }
        }
        return try! Cluster(devices: devices, links: links)
    }

    /// Reference model, single layer, `heads` heads of a 256-wide model at s = 128.
    static func reference(seed: UInt64, devices n: Int, heads: Int, withPrevious: Bool) -> ExactTestInstance {
        var rng = ExactTestRandom(seed: seed)
        let shape = ModelShape.reference(name: "tiny", heads: heads, dim: 256)
        let model = ReferenceCostModel(shape: shape, sequenceLength: 128, incrementSequence: true)
        let position = TokenPosition(promptLength: 128, generated: rng.int(0...300))
        let probe = model.demand(of: 0, at: position).memory.value
        // Memory from a few heads' worth to everything; compute budget sometimes tight.
        let cluster = cluster(&rng, devices: n, memory: (2.5 * probe)...(Double(heads + 8) * probe), linkLatency: false)
        let flops = model.demands(at: position).map(\.flops.value).reduce(0, +)
        let budgets = (0..<n).map { _ in FLOPsPerSecond(rng.uniform(0.35, 1.5) * flops) }
        let state = cluster.nominalState.with(compute: budgets)
        let previous = withPrevious ? Placement(devices: (0..<model.layout.count).map { _ in rng.int(0...(n - 1)) }) : nil
        return ExactTestInstance(
            request: PlanningRequest(costModel: model, state: state, position: position, previous: previous),
            label: "reference seed \(seed) n=\(n) h=\(heads) prev=\(withPrevious)")
    }

    /// Decode model: `layers` layers, `groups` K/V groups (2 queries each), optionally one device offline.
    static func decode(seed: UInt64, devices n: Int, layers: Int, groups: Int, withPrevious: Bool, offline: Bool = false)
        -> ExactTestInstance
    {
        var rng = ExactTestRandom(seed: seed)
        let shape = ModelShape(
            name: "tiny-decode", layerCount: layers, modelDim: 128 * groups, headCount: 2 * groups, kvHeadCount: groups,
            headDim: 64, ffnDim: 512 * groups, vocabSize: 2000, weightBytes: 2)
        let model = DecodeCostModel(shape: shape, weightsPreloaded: rng.int(0...1) == 1)
        let position = TokenPosition(promptLength: rng.int(16...256), generated: rng.int(0...300))
        let demands = model.demands(at: position).map(\.memory.value)
        let total = demands.reduce(0, +)
        let ctl = model.controllerMemory(at: position).value
        var cluster = cluster(&rng, devices: n, memory: (0.3 * total)...(1.2 * total), linkLatency: true)
        // The controller must hold its fixed share.
        var devices = cluster.devices
        devices[0].memory = Bytes(ctl + rng.uniform(0.2, 1.0) * total)
        cluster = try! Cluster(devices: devices, links: cluster.links)
        var state = cluster.nominalState
        let previous = withPrevious ? Placement(devices: (0..<model.layout.count).map { _ in rng.int(0...(n - 1)) }) : nil
        if offline { state = state.with(online: (0..<n).map { $0 != n - 1 }) }
        return ExactTestInstance(
            request: PlanningRequest(costModel: model, state: state, position: position, previous: previous),
            label: "decode seed \(seed) n=\(n) L=\(layers) G=\(groups) prev=\(withPrevious) offline=\(offline)")
    }

    /// Every assignment of every block: the minimum objective over the feasible ones (nil: none is feasible).
    static func bruteForce(_ r: PlanningRequest) -> (objective: Double, placement: Placement)? {
        let n = r.state.count
        let count = r.layout.count
        var digits = Array(repeating: 0, count: count)
        var best: (Double, Placement)?
        while true {
            let p = Placement(devices: digits)
            let e = r.costModel.evaluate(p, on: r.state, at: r.position)
            if e.isFeasible {
                let v = r.costModel.objective(p, previous: r.previous, on: r.state, at: r.position).value
                if best == nil || v < best!.0 { best = (v, p) }
            }
            var i = 0
            while i < count {
                digits[i] += 1
                if digits[i] < n { break }
                digits[i] = 0
                i += 1
            }
            if i == count { break }
        }
        return best
    }

    static func close(_ a: Double, _ b: Double, _ rel: Double = 1e-9) -> Bool {
        a == b || abs(a - b) <= rel * max(abs(a), abs(b))
    }
}

/// Reads the reference-sim fixtures in `Tests/Fixtures/` (golden cases G1, G2).
enum ExactFixtures {
    static func referenceCase(_ name: String) throws -> (cluster: Cluster, model: ReferenceCostModel, expected: [String: Any]) {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/reference-sim/\(name).json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let scenario = root["scenario"] as! [String: Any]
        let model = scenario["model"] as! [String: Any]
        let shape = ModelShape.reference(name: "fixture", heads: model["num_heads"] as! Int, dim: model["embedding_dim"] as! Int)
        let devices = (scenario["devices"] as! [[String: Any]]).map {
            Device(
                id: $0["id"] as! String, memory: Bytes(gigabytes: $0["memory_gb"] as! Double),
                compute: FLOPsPerSecond($0["compute_flops"] as! Double), memoryBandwidth: BytesPerSecond(1e12))
        }
        let links = (scenario["links"] as! [[String: Any]]).map {
            Link(a: $0["a"] as! String, b: $0["b"] as! String,
                 bandwidth: BytesPerSecond(gigabytesPerSecond: $0["bandwidth"] as! Double))
        }
        return (try Cluster(devices: devices, links: links),
                ReferenceCostModel(shape: shape, sequenceLength: scenario["sequence_length"] as! Int),
                root["expected"] as! [String: Any])
    }
}
