import HeadwayCore

/// Device and link traces (CSV, `DeviceTrace(csv:)` and `LinkTrace(csv:)`), as a scenario's `device_trace` and
/// `link_trace` name them. Each input is read as both; an accepted trace is also replayed on a 3-device cluster for
/// 8 tokens (its device and link names checked there).
public enum TraceFuzzTarget: FuzzTarget {
    public static let name = "trace"
    static let fileName = "fuzz-trace.csv"

    public static func seeds() -> [[UInt8]] {
        [
            "token,device,memory_gb,compute_gflops,memory_bandwidth_gbs,online\n0,a,4,20,10,true\n3,b,2,5,,false\n5,b,2,5,,\n",
            "token,a,b,bandwidth_gbps,latency_ms\n0,a,b,1,2\n4,b,c,0.5,\n",
        ].map { Array($0.utf8) }
    }

    static let cluster: Cluster = {
        let devices = ["a", "b", "c"].map {
            Device(id: $0, memory: Bytes(gigabytes: 4), compute: FLOPsPerSecond(gigaflops: 10),
                   memoryBandwidth: BytesPerSecond(gigabytesPerSecond: 10))
        }
        let links = [("a", "b"), ("b", "c")].map { Link(a: $0.0, b: $0.1, bandwidth: BytesPerSecond(gigabitsPerSecond: 1)) }
        // Fixed, valid values: a failure here is a bug in this file.
        return try! Cluster(devices: devices, links: links)
    }()

    public static func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) -> Bool {
        let text = String(decoding: input, as: UTF8.self)
        var accepted = false
        var fluctuation = Fluctuation()
        do {
            fluctuation.deviceTrace = try DeviceTrace(csv: text, source: fileName)
            accepted = true
        } catch {
            try expect(error, is: CoreError.self, naming: fileName) { $0.message }
        }
        do {
            fluctuation.linkTrace = try LinkTrace(csv: text, source: fileName)
            accepted = true
        } catch {
            try expect(error, is: CoreError.self, naming: fileName) { $0.message }
        }
        guard accepted else { return false }
        do {
            try fluctuation.validate(for: cluster, source: fileName)
            let timeline = try ClusterTimeline(cluster: cluster, fluctuation: fluctuation, seed: 1, tokens: 8)
            for t in 0..<8 { _ = timeline.state(at: t) }
        } catch {
            try expect(error, is: CoreError.self, naming: fileName) { $0.message }
        }
        return true
    }
}
