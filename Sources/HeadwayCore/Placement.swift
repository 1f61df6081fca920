/// A placement: for every block of a `BlockLayout` (by index), the index of the device that holds it.
///
/// `feedForwardSplit` optionally splits layers' FFNs by columns over several devices (tensor parallelism, as Galaxy
/// runs it): the FFN block's own device then holds the layer's residual (it scatters nothing, it gathers the partial
/// sums), and each listed device holds and runs its fraction of the FFN's columns. Cost models that do not support it
/// (`CostModel.supportsFeedForwardSplit`) never receive one.
public struct Placement: Hashable, Sendable, Codable {
    public var devices: [Int]
    /// Per layer, the devices sharing that layer's FFN and the fraction of its columns each holds (summing to 1);
    /// nil, or an empty list for a layer, means the FFN runs whole on its block's device.
    public var feedForwardSplit: [[ColumnShare]]?
    public init(devices: [Int], feedForwardSplit: [[ColumnShare]]? = nil) {
        self.devices = devices
        self.feedForwardSplit = feedForwardSplit
    }

    /// The column shares of layer `l`'s FFN, or nil when it runs whole on one device.
    public func feedForwardShares(layer l: Int) -> [ColumnShare]? {
        guard let split = feedForwardSplit, l < split.count, !split[l].isEmpty else { return nil }
        return split[l]
    }
    /// Everything on one device.
    public init(blockCount: Int, allOn device: Int) { devices = Array(repeating: device, count: blockCount) }
    public subscript(block: Int) -> Int {
        get { devices[block] }
        set { devices[block] = newValue }
    }
    public var count: Int { devices.count }

    /// Indices of blocks whose device differs from `previous`.
    public func moved(from previous: Placement) -> [Int] {
        precondition(previous.count == count, "placements of different models")
        return devices.indices.filter { devices[$0] != previous.devices[$0] }
    }

    /// `name -> device id` map, for reports.
    public func assignment(layout: BlockLayout, cluster: Cluster) -> [(block: String, device: String)] {
        devices.indices.map { (layout.name(of: $0), cluster.devices[devices[$0]].id) }
    }
}

/// One device's part of a column-split FFN: `fraction` of the intermediate columns (and of the FFN's weights, work and
/// buffers).
public struct ColumnShare: Hashable, Sendable, Codable {
    public var device: Int
    public var fraction: Double
    public init(device: Int, fraction: Double) {
        self.device = device
        self.fraction = fraction
    }
}
