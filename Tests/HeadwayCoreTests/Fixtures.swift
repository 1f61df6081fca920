import Foundation
import HeadwayCore

/// Reads the reference fixtures in `Tests/Fixtures/` (copied unchanged from shared/fixtures).
enum Fixture {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures")
    }

    static func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent(path))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// A reference-sim case: its cluster (links as GB/s), model and s, and the expected results.
    struct ReferenceCase {
        var cluster: Cluster
        var model: ReferenceCostModel
        var expected: [String: Any]
        var steps: Int
    }

    static func referenceCase(_ name: String) throws -> ReferenceCase {
        let root = try json("reference-sim/\(name).json")
        let scenario = root["scenario"] as! [String: Any]
        let model = scenario["model"] as! [String: Any]
        let shape = ModelShape.reference(
            name: "fixture", heads: model["num_heads"] as! Int, dim: model["embedding_dim"] as! Int)
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
            expected: root["expected"] as! [String: Any], steps: scenario["steps"] as! Int)
    }

    /// Placement from a `{block name: device id}` map.
    static func placement(_ assignment: [String: String], layout: BlockLayout, cluster: Cluster) -> Placement {
        Placement(devices: (0..<layout.count).map { cluster.index(of: assignment[layout.name(of: $0)]!)! })
    }
}
