import Foundation
import HeadwayCore
import Testing

/// A small full mesh with round numbers: every device 8 GB, 20 GFLOP/s, 10 GB/s; links 5 Gbit/s, 1 ms.
func roundCluster(_ n: Int = 4) throws -> Cluster {
    let devices = (0..<n).map {
        Device(id: "device_\($0)", memory: Bytes(gigabytes: 8), compute: FLOPsPerSecond(gigaflops: 20),
               memoryBandwidth: BytesPerSecond(gigabytesPerSecond: 10))
    }
    return try Cluster.fullMesh(
        devices: devices, bandwidth: BytesPerSecond(gigabitsPerSecond: 5), latency: Seconds(milliseconds: 1))
}

func coreErrorMessage(_ body: () throws -> Void) -> String {
    do { try body() } catch let e as CoreError { return e.message } catch { return "unexpected \(error)" }
    return "no error"
}

@Suite struct DynamicsTests {
    let busy = Fluctuation(
        computeLoad: .reference, memoryLoad: .meanReverting(.smoothReference), links: .paper,
        churn: Churn(leaveProbability: 0.01, meanOfflineTokens: 20))

    @Test func sameSeedSameTimelineDifferentSeedsDiffer() throws {
        let cluster = try ClusterGenerator.paper(deviceCount: 5).make(seed: 1)
        let a = try ClusterTimeline(cluster: cluster, fluctuation: busy, seed: 7, tokens: 200)
        let b = try ClusterTimeline(cluster: cluster, fluctuation: busy, seed: 7, tokens: 200)
        let c = try ClusterTimeline(cluster: cluster, fluctuation: busy, seed: 8, tokens: 200)
        #expect((0..<200).allSatisfy { a.state(at: $0) == b.state(at: $0) })
        #expect((0..<200).contains { a.state(at: $0) != c.state(at: $0) })
    }

    @Test func noFluctuationIsTheNominalState() throws {
        let cluster = try roundCluster()
        let t = try ClusterTimeline(cluster: cluster, fluctuation: .none, seed: 1, tokens: 10)
        #expect((0..<10).allSatisfy { t.state(at: $0) == cluster.nominalState })
    }

    @Test func uniformLoadStaysInBoundsAndCouplesMemoryBandwidth() throws {
        let cluster = try roundCluster()
        let t = try ClusterTimeline(cluster: cluster, fluctuation: .reference, seed: 3, tokens: 1000)
        var fractions: [Double] = []
        for token in 0..<1000 {
            let s = t.state(at: token)
            for i in 0..<4 {
                let f = s.compute[i].value / cluster.devices[i].compute.value
                fractions.append(f)
                #expect(f >= 0.7 && f <= 1)
                let m = s.memory[i] / cluster.devices[i].memory
                #expect(m >= 0.7 && m <= 1)
                let bw = s.memoryBandwidth[i].value / cluster.devices[i].memoryBandwidth.value
                #expect(abs(bw - f) < 1e-12)
            }
        }
        #expect(abs(sampleMoments(fractions).mean - 0.85) < 0.01)
        #expect(abs(lagOneCorrelation(fractions, stride: 4)) < 0.1)
        // Coupling 0 leaves memory bandwidth nominal; 2 doubles its load.
        let uncoupled = try ClusterTimeline(
            cluster: cluster, fluctuation: Fluctuation(computeLoad: .reference, memoryBandwidthCoupling: 0), seed: 3,
            tokens: 50)
        #expect((0..<50).allSatisfy { uncoupled.state(at: $0).memoryBandwidth == cluster.devices.map(\.memoryBandwidth) })
        let doubled = try ClusterTimeline(
            cluster: cluster, fluctuation: Fluctuation(computeLoad: .reference, memoryBandwidthCoupling: 2), seed: 3,
            tokens: 50)
        for token in 0..<50 {
            let load = 1 - doubled.compute(1, at: token).value / cluster.devices[1].compute.value
            let bwLoad = 1 - doubled.memoryBandwidth(1, at: token).value / cluster.devices[1].memoryBandwidth.value
            #expect(abs(bwLoad - 2 * load) < 1e-9)
        }
    }

    @Test func meanRevertingLoadIsSmoothAndBounded() throws {
        let cluster = try roundCluster()
        let load = MeanRevertingLoad(mean: 0.3, persistence: 0.9, noise: 0.1, min: 0.1, max: 0.6)
        let t = try ClusterTimeline(
            cluster: cluster, fluctuation: Fluctuation(computeLoad: .meanReverting(load)), seed: 4, tokens: 1000)
        let fractions = (0..<1000).flatMap { token in (0..<4).map { 1 - t.compute($0, at: token).gigaflops / 20 } }
        #expect(fractions.allSatisfy { $0 >= 0.1 - 1e-12 && $0 <= 0.6 + 1e-12 })
        #expect(lagOneCorrelation(fractions, stride: 4) > 0.75)
        #expect(abs(sampleMoments(fractions).mean - 0.3) < 0.05)
        #expect(fractions.contains { $0 < 0.15 } && fractions.contains { $0 > 0.5 })
    }

    @Test func logRandomWalkStaysInBoundsAndMoves() throws {
        let cluster = try roundCluster(5)
        let walk = LogRandomWalk(sigma: 0.1, minFraction: 0.2, maxFraction: 1.5)
        let t = try ClusterTimeline(
            cluster: cluster, fluctuation: Fluctuation(links: .logRandomWalk(walk)), seed: 5, tokens: 1000)
        let nominal = BytesPerSecond(gigabitsPerSecond: 5).value
        var fractions: [Double] = []
        for token in 0..<1000 {
            for k in cluster.links.indices { fractions.append(t.linkBandwidth(k, at: token).value / nominal) }
        }
        #expect(fractions.allSatisfy { $0 >= 0.2 && $0 <= 1.5 })
        #expect(fractions.min()! < 0.3 && fractions.max()! > 1.3)
        #expect(t.linkBandwidth(0, at: 0).value == nominal)
        // Consecutive tokens are close: a walk, not resampling.
        let steps = (1..<1000).map { abs(log(t.linkBandwidth(0, at: $0).value / t.linkBandwidth(0, at: $0 - 1).value)) }
        #expect(steps.max()! < 0.6)
    }

    @Test func resampledLinksCoverOneToTenGigabits() throws {
        let cluster = try roundCluster(6)
        let t = try ClusterTimeline(cluster: cluster, fluctuation: .paper, seed: 6, tokens: 500)
        let values = (0..<500).flatMap { token in cluster.links.indices.map { t.linkBandwidth($0, at: token).value } }
        #expect(values.allSatisfy { $0 >= 1.25e8 && $0 <= 1.25e9 })
        #expect(values.min()! < 1.3e8 && values.max()! > 1.2e9)
        // Pair bandwidth on a full mesh is the direct link's.
        let s = t.state(at: 17)
        #expect(s.bandwidth(0, 1) == t.linkBandwidth(0, at: 17))
    }

    @Test func explicitLeaveAndJoinShowInStateAndPairBandwidth() throws {
        let cluster = try roundCluster()
        let events = [
            MembershipEvent(token: 200, device: "device_3", event: .leave),
            MembershipEvent(token: 500, device: "device_3", event: .join),
            MembershipEvent(token: 100, device: "device_2", event: .join),
        ]
        let t = try ClusterTimeline(cluster: cluster, fluctuation: Fluctuation(events: events), seed: 1, tokens: 1000)
        #expect(t.state(at: 199).online == [true, true, true, true])
        #expect(t.state(at: 200).online == [true, true, true, false])
        #expect(t.state(at: 499).online[3] == false && t.state(at: 500).online[3] == true)
        // A device whose first event is a join is absent before it.
        #expect(t.state(at: 0).online[2] == false && t.state(at: 99).online[2] == false && t.state(at: 100).online[2])
        let away = t.state(at: 300)
        for i in 0..<3 {
            #expect(away.pairBandwidth[i * 4 + 3] == 0 && away.pairBandwidth[3 * 4 + i] == 0)
            #expect(away.transferTime(Bytes(1000), from: i, to: 3) == .infinity)
        }
        #expect(away.bandwidth(0, 1) == BytesPerSecond(gigabitsPerSecond: 5))
        #expect(t.state(at: 600).bandwidth(0, 3) == BytesPerSecond(gigabitsPerSecond: 5))
    }

    @Test func churnNeverRemovesTheControllerAndMatchesItsSteadyState() throws {
        let cluster = try ClusterGenerator.paper(deviceCount: 25).make(seed: 2)
        let churn = Churn(leaveProbability: 0.05, meanOfflineTokens: 10, exempt: ["device_7"])
        let t = try ClusterTimeline(cluster: cluster, fluctuation: Fluctuation(churn: churn), seed: 2, tokens: 1000)
        var offline = 0
        var controllerAway = 0, exemptAway = 0
        for token in 0..<1000 {
            if !t.isOnline(0, at: token) { controllerAway += 1 }
            if !t.isOnline(7, at: token) { exemptAway += 1 }
            offline += (1..<25).filter { !t.isOnline($0, at: token) }.count
        }
        #expect(controllerAway == 0 && exemptAway == 0)
        // Stationary offline share p / (p + 1/D) = 0.05 / 0.15 = 1/3 over the 23 churning devices.
        let share = Double(offline) / (23 * 1000)
        #expect(share > 0.28 && share < 0.39, "offline share \(share)")
        // A controller elsewhere is protected too.
        let other = try ClusterGenerator(deviceCount: 6, controller: 4).make(seed: 1)
        let heavy = try ClusterTimeline(
            cluster: other, fluctuation: Fluctuation(churn: Churn(leaveProbability: 1, meanOfflineTokens: 1000)),
            seed: 1, tokens: 100)
        let pattern = (0..<100).allSatisfy { heavy.isOnline(4, at: $0) && !heavy.isOnline(0, at: $0) }
        #expect(pattern)
    }

    @Test func invalidSpecsAreRejectedWithTheirField() throws {
        let cluster = try roundCluster()
        func build(_ f: Fluctuation) -> String {
            coreErrorMessage { _ = try ClusterTimeline(cluster: cluster, fluctuation: f, seed: 0, tokens: 10) }
        }
        let controllerLeaves = build(Fluctuation(events: [MembershipEvent(token: 5, device: "device_0", event: .leave)]))
        #expect(controllerLeaves.contains("events[0]") && controllerLeaves.contains("device_0"))
        let unknown = build(Fluctuation(events: [MembershipEvent(token: 5, device: "device_9", event: .leave)]))
        #expect(unknown.contains("unknown device 'device_9'"))
        #expect(build(Fluctuation(computeLoad: .uniform(min: 0.5, max: 0.2))).contains("compute_load"))
        #expect(build(Fluctuation(links: .logRandomWalk(LogRandomWalk(sigma: 0.1, minFraction: 0, maxFraction: 2))))
            .contains("min_fraction"))
        #expect(build(Fluctuation(churn: Churn(leaveProbability: 0.1, meanOfflineTokens: 0.5))).contains("mean_offline_tokens"))
        #expect(coreErrorMessage { _ = try ClusterTimeline(cluster: cluster, fluctuation: .none, seed: 0, tokens: 0) }
            .contains("tokens"))
    }

    @Test func addingADeviceKeepsTheOthersDynamics() throws {
        let five = try ClusterGenerator.paper(deviceCount: 5).make(seed: 3)
        let six = try ClusterGenerator.paper(deviceCount: 6).make(seed: 3)
        let a = try ClusterTimeline(cluster: five, fluctuation: busy, seed: 11, tokens: 300)
        let b = try ClusterTimeline(cluster: six, fluctuation: busy, seed: 11, tokens: 300)
        for token in 0..<300 {
            for i in 0..<5 {
                #expect(a.compute(i, at: token) == b.compute(i, at: token))
                #expect(a.isOnline(i, at: token) == b.isOnline(i, at: token))
            }
            #expect(a.linkBandwidth(0, at: token) == b.linkBandwidth(0, at: token))
        }
    }

    /// 25 devices × 1000 tokens with every random component must build well under 50 ms (release build).
    @Test func buildsQuickly() throws {
        let cluster = try ClusterGenerator.paper(deviceCount: 25).make(seed: 1)
        let clock = ContinuousClock()
        var best = Duration.seconds(1000)
        for run in 0..<5 {
            let elapsed = try clock.measure {
                let t = try ClusterTimeline(cluster: cluster, fluctuation: busy, seed: UInt64(run), tokens: 1000)
                #expect(t.tokens == 1000)
            }
            best = min(best, elapsed)
        }
        print("ClusterTimeline 25 devices x 1000 tokens: best of 5 = \(best)")
        #expect(best < .milliseconds(50))
        let timeline = try ClusterTimeline(cluster: cluster, fluctuation: busy, seed: 1, tokens: 1000)
        var online = 0
        let states = clock.measure {
            for token in 0..<1000 { online += timeline.state(at: token).online.filter { $0 }.count }
        }
        print("ClusterTimeline.state(at:) x 1000 (25 devices): \(states)")
        #expect(online > 20_000 && states < .milliseconds(500))
    }
}

@Suite struct DynamicsCodableTests {
    @Test func specsRoundTripThroughJSON() throws {
        let fluctuation = Fluctuation(
            computeLoad: .meanReverting(.smoothReference), memoryLoad: .reference, memoryBandwidthCoupling: 0.5,
            links: .logRandomWalk(LogRandomWalk(sigma: 0.05, minFraction: 0.1, maxFraction: 2, reversion: 0.01)),
            events: [MembershipEvent(token: 200, device: "device_3", event: .leave)],
            churn: Churn(leaveProbability: 0.001, meanOfflineTokens: 50),
            deviceTrace: DeviceTrace(source: "d.csv", rows: [DeviceTraceRow(token: 1, device: "device_1", memoryGB: 2, computeGFLOPs: 3)]))
        let data = try JSONEncoder().encode(fluctuation)
        #expect(try JSONDecoder().decode(Fluctuation.self, from: data) == fluctuation)
        let generator = ClusterGenerator(
            deviceCount: 7, devices: .mix(.typicalEdge), network: NetworkSpec(topology: .randomGeometric(radius: 0.3)))
        let decoded = try JSONDecoder().decode(ClusterGenerator.self, from: try JSONEncoder().encode(generator))
        #expect(decoded == generator)
        #expect(try decoded.make(seed: 3) == (try generator.make(seed: 3)))
    }
}

/// Correlation between consecutive tokens of an interleaved series (`stride` values per token).
func lagOneCorrelation(_ xs: [Double], stride: Int) -> Double {
    var pairs: [(Double, Double)] = []
    for k in stride..<xs.count { pairs.append((xs[k - stride], xs[k])) }
    return correlation(pairs)
}
