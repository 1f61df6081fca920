/// Where the weights of a block that moves to a device (or is rebuilt there) come from. A property of the scenario,
/// applied the same way to every planner.
public enum WeightSource: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The controller keeps the model file: weights cross the network from it (read at its memory bandwidth when
    /// the block moves onto the controller itself).
    case controller
    /// The named device (index) keeps the model file; as `controller` otherwise. While it is offline the controller
    /// serves the weights instead.
    case holder(Int)
    /// Every device keeps its own copy of the model file and reads a block's weights from it at `bandwidth`
    /// (nil: the device's memory bandwidth, i.e. the file is in its page cache). Nothing crosses the network.
    case localCopy(bandwidth: BytesPerSecond?)

    public var description: String {
        switch self {
        case .controller: "controller"
        case .holder(let d): "device \(d)"
        case .localCopy(let bw): bw.map { "local copy at \($0)" } ?? "local copy at memory bandwidth"
        }
    }
}

/// One block's share of a migration: seconds of a shared resource it occupies, and the bytes it moves.
public struct MigrationCharge: Hashable, Sendable {
    /// A directed link (`2·link` for a→b, `2·link + 1` for b→a) or, from `MigrationLedger.deviceBase(state)` on, a
    /// device's local work (weight reads from a local copy, cache rebuilds), in that order.
    public var resource: Int
    public var seconds: Double
    public init(resource: Int, seconds: Double) {
        self.resource = resource
        self.seconds = seconds
    }
}

/// The migration of a set of blocks as the resources it occupies. Every transfer crosses the directed links of its
/// path; all transfers run at once and share each link (full duplex: each direction has the link's bandwidth), so the
/// network phase ends when the busiest direction of the busiest link has carried all its bytes: the maximum over
/// directed links of Σ (path latency + bytes / link bandwidth) over the transfers using it. Fluid sharing reaches
/// that maximum, and nothing finishes sooner, since each link carries its bytes at most at its bandwidth. Then each
/// device does its local work (weight reads, cache rebuilds) one item after another; devices work in parallel.
/// Delay = max over links + max over devices. Both parts are sums per resource, so a planner can cost a change to
/// one block from its charges alone.
public struct MigrationLedger: Hashable, Sendable {
    /// Seconds per resource (directed links, then devices).
    public private(set) var load: [Double]
    public let deviceBase: Int
    public init(resources: Int, deviceBase: Int) {
        load = Array(repeating: 0, count: resources)
        self.deviceBase = deviceBase
    }
    public init(state: ClusterState) {
        self.init(resources: Self.resourceCount(state), deviceBase: Self.deviceBase(state))
    }
    public static func deviceBase(_ state: ClusterState) -> Int { 2 * state.cluster.links.count }
    public static func resourceCount(_ state: ClusterState) -> Int { 2 * state.cluster.links.count + state.count }

    public mutating func add(_ charges: [MigrationCharge], times k: Double = 1) {
        for c in charges { load[c.resource] += k * c.seconds }
    }

    /// Network phase: the busiest directed link.
    public var network: Double { load[..<deviceBase].max() ?? 0 }
    /// Local phase: the busiest device.
    public var local: Double { load[deviceBase...].max() ?? 0 }
    public var delay: Double { network + local }

    /// The directed links of the path from `s` to `t` (resource indices), nil when the path is cut.
    public static func directedPath(from s: Int, to t: Int, in state: ClusterState) -> [Int]? {
        let n = state.count
        guard s != t else { return [] }
        guard state.pairBandwidth[s * n + t] > 0 else { return nil }
        var current = s
        var out: [Int] = []
        for k in state.cluster.paths[s * n + t] {
            let ends = state.cluster.endpoints[k]
            if ends.a == current {
                out.append(2 * k)
                current = ends.b
            } else {
                out.append(2 * k + 1)
                current = ends.a
            }
        }
        return out
    }

    /// Charges of sending `bytes` from s to t: on every directed link of the path, the path latency plus the bytes
    /// over that link's current bandwidth (+inf on one resource when the path is cut).
    public static func transfer(_ bytes: Double, from s: Int, to t: Int, in state: ClusterState) -> [MigrationCharge] {
        guard s != t, bytes > 0 else { return [] }
        guard let path = directedPath(from: s, to: t, in: state) else {
            return [MigrationCharge(resource: deviceBase(state) + t, seconds: .infinity)]
        }
        let latency = state.pairLatency[s * state.count + t]
        return path.map { r in MigrationCharge(resource: r, seconds: latency + bytes / state.linkBandwidth[r / 2].value) }
    }
}
