
extension DecodeCostModelTests {
    /// `serializedSends`: d0 (controller, residual, projection and FFN) scatters to d1 and d2 (one group each, 0.88 s
    /// of work) one message at a time: d1 gets its input at 0.5 + 0.5 = 1.0, d2 at 1.0 + 0.5 = 1.5; their outputs
    /// reach d0 at 2.38 and 2.88 and take 0.25 s each on d0's interface: the phase ends at 3.13 instead of 2.63.
    /// Total 0.08 + 3.13 + 0.64 + 4.16 + 0.88 = 8.89 s (in parallel: 8.39 s).
    @Test func serializedSendsHandWorked() throws {
        let devices = [
            Device(id: "d0", memory: Bytes(1e6), compute: FLOPsPerSecond(1e9), memoryBandwidth: BytesPerSecond(100)),
            Device(id: "d1", memory: Bytes(1e6), compute: FLOPsPerSecond(1e9), memoryBandwidth: BytesPerSecond(200)),
            Device(id: "d2", memory: Bytes(1e6), compute: FLOPsPerSecond(1e9), memoryBandwidth: BytesPerSecond(200)),
        ]
        let cluster = try Cluster.fullMesh(devices: devices, bandwidth: BytesPerSecond(64), latency: Seconds(0.5))
        var cm = DecodeCostModel(shape: Self.shape)
        let placement = Placement(devices: [1, 2, 0, 0])
        let position = TokenPosition(promptLength: 9, generated: 0)
        #expect(Self.close(cm.evaluate(placement, on: cluster.nominalState, at: position).latency.value, 8.39))
        cm.serializedSends = true
        let e = cm.evaluate(placement, on: cluster.nominalState, at: position)
        #expect(Self.close(e.latency.value, 8.89), "\(e.latency)")
        #expect(Self.close(e.communication.value, 3.13 - 0.88))
        #expect(Self.close(e.networkBytes.value, 2 * 32 + 2 * 16))
        // One remote device: nothing to serialise, the same as in parallel (the two-device placement above).
        let two = try Self.cluster()
        #expect(Self.close(cm.evaluate(Placement(devices: [0, 1, 0, 1]), on: two.nominalState, at: position).latency.value, 8.31))
    }
}
