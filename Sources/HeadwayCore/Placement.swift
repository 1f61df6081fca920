/// A placement: for every block of a `BlockLayout` (by index), the index of the device that holds it.
public struct Placement: Hashable, Sendable, Codable {
    public var devices: [Int]
    public init(devices: [Int]) { self.devices = devices }
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
