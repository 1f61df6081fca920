import Foundation
import HeadwayCore
import Testing

@Suite struct GeneratorTests {
    @Test func paperClusterIsDeterministicPerSeed() throws {
        let spec = ClusterGenerator.paper(deviceCount: 25)
        let a = try spec.make(seed: 1)
        #expect(a == (try spec.make(seed: 1)))
        #expect(a != (try spec.make(seed: 2)))
        #expect(a.count == 25 && a.links.count == 25 * 24 / 2 && a.controller == 0)
        #expect(a.devices.map(\.id) == (0..<25).map { "device_\($0)" })
    }

    /// 1000 devices from 40 clusters of 25: every value inside the documented bounds, and really spread out.
    @Test func paperDevicesAndLinksStayInDocumentedRanges() throws {
        var compute: [Double] = [], memory: [Double] = [], bandwidth: [Double] = [], links: [Double] = []
        var logPairs: [(Double, Double)] = []
        for seed in 0..<40 {
            let c = try ClusterGenerator.paper(deviceCount: 25).make(seed: UInt64(seed))
            for d in c.devices {
                compute.append(d.compute.gigaflops)
                memory.append(d.memory.gigabytes)
                bandwidth.append(d.memoryBandwidth.gigabytesPerSecond)
                logPairs.append((log(d.compute.value), log(d.memoryBandwidth.value)))
            }
            for l in c.links {
                links.append(l.bandwidth.value)
                #expect(l.latency == Seconds(milliseconds: 1))
            }
        }
        #expect(compute.count == 1000)
        #expect(compute.allSatisfy { $0 >= 5 && $0 <= 50 })
        #expect(memory.allSatisfy { $0 >= 2 && $0 <= 16 })
        #expect(bandwidth.allSatisfy { $0 >= 5 && $0 <= 50 })
        #expect(links.allSatisfy { $0 >= 1.25e8 && $0 <= 1.25e9 })
        // Not degenerate (the reference simulator's compute collapses onto its clip bound).
        #expect(Set(compute).count > 900)
        #expect(compute.filter { $0 == 5 || $0 == 50 }.count < 100)
        let sortedMemory = memory.sorted()
        #expect(sortedMemory[500] > 3.5 && sortedMemory[500] < 4.5, "median memory \(sortedMemory[500]) GB")
        // Link bandwidths cover 1..10 Gbit/s, so bits were converted to bytes (not treated as GB/s).
        #expect(links.min()! < BytesPerSecond(gigabitsPerSecond: 1.2).value)
        #expect(links.max()! > BytesPerSecond(gigabitsPerSecond: 9.8).value)
        #expect(correlation(logPairs) > 0.4)
    }

    @Test func addingADeviceKeepsTheOthers() throws {
        let five = try ClusterGenerator.paper(deviceCount: 5).make(seed: 9)
        let six = try ClusterGenerator.paper(deviceCount: 6).make(seed: 9)
        #expect(Array(six.devices.prefix(5)) == five.devices)
        #expect(six.links.filter { $0.a != "device_5" && $0.b != "device_5" } == five.links)
    }

    @Test func latencyRangeAndControllerAreConfigurable() throws {
        let spec = ClusterGenerator(
            deviceCount: 6, network: NetworkSpec(latencyMs: UniformRange(0.5, 3)), controller: 2, idPrefix: "n")
        let c = try spec.make(seed: 4)
        #expect(c.controller == 2 && c.devices[0].id == "n0")
        #expect(c.links.allSatisfy { $0.latency.milliseconds >= 0.5 && $0.latency.milliseconds <= 3 })
        #expect(Set(c.links.map(\.latency)).count > 1)
    }

    @Test func starLinksEveryDeviceToTheController() throws {
        let c = try ClusterGenerator(deviceCount: 8, network: NetworkSpec(topology: .star), controller: 3).make(seed: 1)
        #expect(c.links.count == 7)
        #expect(c.links.allSatisfy { $0.a == "device_3" || $0.b == "device_3" })
    }

    @Test func randomTopologiesAreConnectedAndPartial() throws {
        for seed: UInt64 in 0..<10 {
            // Cluster.init throws when a device is unreachable, so making the cluster proves connectivity.
            let sparse = try ClusterGenerator(deviceCount: 30, network: NetworkSpec(topology: .erdosRenyi(edgeProbability: 0.05)))
                .make(seed: seed)
            #expect(sparse.links.count >= 29 && sparse.links.count < 30 * 29 / 2)
            let tree = try ClusterGenerator(deviceCount: 30, network: NetworkSpec(topology: .erdosRenyi(edgeProbability: 0)))
                .make(seed: seed)
            #expect(tree.links.count == 29)
            let geometric = try ClusterGenerator(deviceCount: 30, network: NetworkSpec(topology: .randomGeometric(radius: 0.15)))
                .make(seed: seed)
            #expect(geometric.links.count >= 29 && geometric.links.count < 30 * 29 / 2)
            #expect(Set(geometric.links.map { "\($0.a)-\($0.b)" }).count == geometric.links.count)
        }
        let full = try ClusterGenerator(deviceCount: 10, network: NetworkSpec(topology: .erdosRenyi(edgeProbability: 1)))
            .make(seed: 1)
        #expect(full.links.count == 45)
    }

    @Test func deviceMixDrawsCatalogueClasses() throws {
        let mix = DeviceMix(entries: DeviceMix.typicalEdge.entries, jitterSigma: 0, controllerClass: .jetsonAGXOrin)
        let c = try ClusterGenerator.realistic(deviceCount: 40, mix: mix).make(seed: 5)
        func scaled(_ k: DeviceClass) -> Device {
            Device(id: "", memory: k.memory * 0.75, compute: k.compute * 0.5, memoryBandwidth: k.memoryBandwidth * 0.7)
        }
        #expect(c.devices[0].compute == scaled(.jetsonAGXOrin).compute)
        var seen = Set<String>()
        for d in c.devices {
            let match = DeviceClass.catalogue.first {
                let s = scaled($0)
                return s.compute == d.compute && s.memory == d.memory && s.memoryBandwidth == d.memoryBandwidth
            }
            #expect(match != nil, "\(d.id) is not a scaled catalogue device")
            if let match { seen.insert(match.name) }
        }
        #expect(seen.count >= 4)
        // Jitter perturbs compute and bandwidth by the same factor, memory not at all.
        let jittered = try ClusterGenerator.realistic(deviceCount: 10).make(seed: 5)
        #expect(Set(jittered.devices.map(\.compute)).count == 10)
        #expect(DeviceClass.named("raspberry_pi_5") == .raspberryPi5)
    }

    @Test func invalidSpecsNameTheField() {
        func message(_ spec: ClusterGenerator) -> String {
            do { _ = try spec.make(seed: 0) } catch let e as CoreError { return e.message } catch { return "\(error)" }
            return ""
        }
        let badCompute = ClusterGenerator(deviceCount: 3, devices: .logNormal(LogNormalDevices(
            computeGFLOPs: BoundedLogNormal(median: 10, sigma: 0.5, lower: 50, upper: 5))))
        #expect(message(badCompute).contains("compute_gflops") && message(badCompute).contains("'upper'"))
        #expect(message(ClusterGenerator(deviceCount: 3, controller: 3)).contains("'controller'"))
        #expect(message(ClusterGenerator(deviceCount: 0)).contains("'device_count'"))
        let badLinks = ClusterGenerator(deviceCount: 3, network: NetworkSpec(bandwidthGbps: UniformRange(0, 10)))
        #expect(message(badLinks).contains("bandwidth_gbps"))
        let badTopology = ClusterGenerator(deviceCount: 3, network: NetworkSpec(topology: .erdosRenyi(edgeProbability: 2)))
        #expect(message(badTopology).contains("edge_probability") && message(badTopology).contains("2"))
        let badMix = ClusterGenerator.realistic(deviceCount: 3, mix: DeviceMix(entries: []))
        #expect(message(badMix).contains("entries"))
    }

    @Test func resampleBoundingTruncatesWithoutPointMasses() {
        var g = SeededGenerator(seed: 2)
        let spec = BoundedLogNormal(median: 10, sigma: 1, lower: 5, upper: 20, bounding: .resample)
        let xs = (0..<5000).map { _ in spec.sample(&g) }
        #expect(xs.allSatisfy { $0 >= 5 && $0 <= 20 })
        #expect(xs.filter { $0 == 5 || $0 == 20 }.isEmpty)
        let spanning = BoundedLogNormal.spanning(5, 50)
        #expect(abs(spanning.median - 15.811) < 1e-3 && abs(spanning.sigma - 0.5756) < 1e-3)
    }
}

func correlation(_ pairs: [(Double, Double)]) -> Double {
    let n = Double(pairs.count)
    let mx = pairs.reduce(0) { $0 + $1.0 } / n
    let my = pairs.reduce(0) { $0 + $1.1 } / n
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my)
        sxx += (x - mx) * (x - mx)
        syy += (y - my) * (y - my)
    }
    return sxy / (sxx * syy).squareRoot()
}
