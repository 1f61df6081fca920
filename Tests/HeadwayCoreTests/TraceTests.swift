import Foundation
import HeadwayCore
import Testing

@Suite struct TraceTests {
    @Test func deviceTraceReplaysAndHoldsValues() throws {
        let cluster = try roundCluster()
        let csv = """
            # measured on the bench
            token,device,memory_gb,compute_gflops,memory_bandwidth_gbs,online
            10,device_1,6,12.5,7,1
            30,device_1,5,10,,
            20,device_2,4,8,3,false

            40,device_2,4.5,9,,true
            """
        let trace = try DeviceTrace(csv: csv, source: "t.csv")
        #expect(trace.rows.count == 4 && trace.rows[0].line == 3)
        #expect(trace.rows[1].memoryBandwidthGBps == nil && trace.rows[1].online == nil)
        // An empty required cell is not a number.
        #expect(coreErrorMessage { _ = try DeviceTrace(csv: "token,device,memory_gb,compute_gflops\n0,device_1,,8", source: "t.csv") }
            == "t.csv:2: column 'memory_gb' is not a number: ''")
        let t = try ClusterTimeline(
            cluster: cluster, fluctuation: Fluctuation(computeLoad: .reference, deviceTrace: trace), seed: 1, tokens: 100)
        // Before the first row: generated (loaded) values.
        #expect(t.compute(1, at: 9).gigaflops <= 20 && t.compute(1, at: 9).gigaflops >= 14)
        #expect(t.compute(1, at: 10) == FLOPsPerSecond(gigaflops: 12.5))
        #expect(t.compute(1, at: 29) == FLOPsPerSecond(gigaflops: 12.5))
        #expect(t.memory(1, at: 29) == Bytes(gigabytes: 6))
        #expect(t.memoryBandwidth(1, at: 15) == BytesPerSecond(gigabytesPerSecond: 7))
        #expect(t.compute(1, at: 30) == FLOPsPerSecond(gigaflops: 10) && t.compute(1, at: 99) == FLOPsPerSecond(gigaflops: 10))
        #expect(t.memory(1, at: 99) == Bytes(gigabytes: 5))
        // Empty cells hold the previous trace values.
        #expect(t.memoryBandwidth(1, at: 99) == BytesPerSecond(gigabytesPerSecond: 7) && t.isOnline(1, at: 99))
        #expect(t.memoryBandwidth(2, at: 99) == BytesPerSecond(gigabytesPerSecond: 3))
        // `online` column: device_2 away from 20 to 39.
        #expect(t.isOnline(2, at: 19) && !t.isOnline(2, at: 20) && !t.isOnline(2, at: 39) && t.isOnline(2, at: 40))
        #expect(t.state(at: 25).pairBandwidth[0 * 4 + 2] == 0)
        #expect(t.state(at: 45).memory[2] == Bytes(gigabytes: 4.5))
    }

    @Test func linkTraceReplaysBandwidthAndLatency() throws {
        let cluster = try roundCluster(3)
        let csv = """
            token,a,b,bandwidth_gbps,latency_ms
            0,device_0,device_1,2,5
            50,device_1,device_0,8,0.5
            """
        let trace = try LinkTrace(csv: csv, source: "links.csv")
        let t = try ClusterTimeline(
            cluster: cluster, fluctuation: Fluctuation(links: .paper, linkTrace: trace), seed: 1, tokens: 100)
        #expect(t.state(at: 0).bandwidth(0, 1) == BytesPerSecond(gigabitsPerSecond: 2))
        #expect(t.state(at: 49).bandwidth(1, 0) == BytesPerSecond(gigabitsPerSecond: 2))
        #expect(t.state(at: 50).bandwidth(0, 1) == BytesPerSecond(gigabitsPerSecond: 8))
        #expect(abs(t.state(at: 10).latency(0, 1).milliseconds - 5) < 1e-9)
        #expect(abs(t.state(at: 60).latency(0, 1).milliseconds - 0.5) < 1e-9)
        // The untraced link keeps fluctuating and its latency stays nominal.
        #expect(Set((0..<100).map { t.linkBandwidth(2, at: $0) }).count > 50)
        #expect(abs(t.state(at: 60).latency(1, 2).milliseconds - 1) < 1e-9)
        // Without latency rows the state's cluster is the nominal one.
        let plain = try LinkTrace(csv: "token,a,b,bandwidth_gbps\n3,device_0,device_2,1\n", source: "p.csv")
        let u = try ClusterTimeline(cluster: cluster, fluctuation: Fluctuation(linkTrace: plain), seed: 1, tokens: 10)
        #expect(u.state(at: 5).cluster == cluster && u.state(at: 5).bandwidth(0, 2) == BytesPerSecond(gigabitsPerSecond: 1))
    }

    @Test func parseErrorsNameFileLineColumnAndValue() {
        let header = "token,device,memory_gb,compute_gflops\n"
        #expect(coreErrorMessage { _ = try DeviceTrace(csv: header + "0,device_1,4,8\n1,device_1,4,abc\n", source: "trace.csv") }
            == "trace.csv:3: column 'compute_gflops' is not a number: 'abc'")
        #expect(coreErrorMessage { _ = try DeviceTrace(csv: header + "0,device_1,-4,8\n", source: "trace.csv") }
            == "trace.csv:2: column 'memory_gb' must be >= 0, got -4")
        #expect(coreErrorMessage { _ = try DeviceTrace(csv: header + "x,device_1,4,8\n", source: "trace.csv") }
            == "trace.csv:2: column 'token' is not a whole number: 'x'")
        #expect(coreErrorMessage { _ = try DeviceTrace(csv: header + "0,device_1,4\n", source: "trace.csv") }
            == "trace.csv:2: expected 4 fields, got 3")
        #expect(coreErrorMessage { _ = try DeviceTrace(csv: "token,device,memory_gb\n0,device_1,4\n", source: "trace.csv") }
            == "trace.csv:1: missing column 'compute_gflops' (header: token,device,memory_gb)")
        #expect(coreErrorMessage { _ = try DeviceTrace(csv: "# nothing\n\n", source: "empty.csv") } == "empty.csv: no header row")
        #expect(coreErrorMessage {
            _ = try DeviceTrace(csv: "token,device,memory_gb,compute_gflops,online\n0,device_1,4,8,maybe\n", source: "o.csv")
        }.contains("o.csv:2: column 'online'"))
        #expect(coreErrorMessage { _ = try LinkTrace(csv: "token,a,b,bandwidth_gbps\n0,device_0,device_1,-1\n", source: "l.csv") }
            == "l.csv:2: column 'bandwidth_gbps' must be >= 0, got -1")
        #expect(coreErrorMessage { _ = try LinkTrace(csv: "token,a,bandwidth_gbps\n", source: "l.csv") }
            .contains("missing column 'b'"))
    }

    @Test func clusterChecksNameTheTraceLine() throws {
        let cluster = try roundCluster(3)
        func build(_ f: Fluctuation) -> String {
            coreErrorMessage { _ = try ClusterTimeline(cluster: cluster, fluctuation: f, seed: 0, tokens: 10) }
        }
        let unknown = try DeviceTrace(
            csv: "token,device,memory_gb,compute_gflops\n0,device_1,4,8\n2,device_99,4,8\n", source: "trace.csv")
        #expect(build(Fluctuation(deviceTrace: unknown)) == "trace.csv:3: column 'device': unknown device 'device_99'")
        let duplicate = try DeviceTrace(
            csv: "token,device,memory_gb,compute_gflops\n2,device_1,4,8\n2,device_1,5,8\n", source: "trace.csv")
        #expect(build(Fluctuation(deviceTrace: duplicate)).hasPrefix("trace.csv:3: device 'device_1' already has a row"))
        let controllerAway = try DeviceTrace(
            csv: "token,device,memory_gb,compute_gflops,online\n2,device_0,4,8,0\n", source: "trace.csv")
        #expect(build(Fluctuation(deviceTrace: controllerAway)).hasPrefix("trace.csv:2: the controller 'device_0'"))
        // Rows built in code are checked too.
        let negative = DeviceTrace(source: "code", rows: [DeviceTraceRow(token: 0, device: "device_1", memoryGB: 1, computeGFLOPs: -2)])
        #expect(build(Fluctuation(deviceTrace: negative)) == "code:0: column 'compute_gflops' must be >= 0, got -2.0")
        let unknownLink = try LinkTrace(csv: "token,a,b,bandwidth_gbps\n0,device_0,device_7,1\n", source: "l.csv")
        #expect(build(Fluctuation(linkTrace: unknownLink)) == "l.csv:2: column 'b': unknown device 'device_7'")
        let star = try ClusterGenerator(deviceCount: 3, network: NetworkSpec(topology: .star)).make(seed: 0)
        let noLink = try LinkTrace(csv: "token,a,b,bandwidth_gbps\n0,device_1,device_2,1\n", source: "l.csv")
        #expect(coreErrorMessage { _ = try ClusterTimeline(cluster: star, fluctuation: Fluctuation(linkTrace: noLink), seed: 0, tokens: 5) }
            == "l.csv:2: no link between 'device_1' and 'device_2' in the cluster")
    }
}
