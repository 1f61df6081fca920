import HeadwayCore
import HeadwayRuntime
import Testing

@Suite struct WireFormatTests {
    static let samples: [Message] = [
        .hello(coordinator: "coordinator", protocolVersion: 1),
        .welcome(WorkerInfo(name: "w1", threads: 2, memoryBytes: 1e9, kernels: "avx2", modelFingerprint: "98362432-abc")),
        .measure,
        .measured(WorkerSpeed(compute: 1.5e10, memoryBandwidth: 2e10)),
        .echo([1, 2, 3]),
        .open(sequence: 7, capacity: 2048, cacheFormat: "q8_0:4:128",
              blocks: [Block(layer: 0, kind: .attention(group: 2)), Block(layer: 3, kind: .projection), Block(layer: 29, kind: .feedForward)]),
        .close(sequence: 7),
        .run(RunJob(sequence: 1, epoch: 3, position: 17, tokens: 2,
                    steps: [.projection(layer: 4), .feedForward(layer: 4), .attention(layer: 5, groups: [0, 1, 2], emit: false)],
                    x: [1, -2, 3.5, .infinity], heads: [0.25, 0.5])),
        .run(RunJob(sequence: 2, epoch: 1, position: 0, tokens: 1, steps: [.attention(layer: 1, groups: [2], emit: true)], x: [],
                    quantizedInput: [1, 2, 3, 250], quantizeOutput: true)),
        .run(RunJob(sequence: 2, epoch: 1, position: 0, tokens: 1, steps: [.projection(layer: 1)], x: [0.5], quantizedHeads: [7, 0, 255])),
        .result(RunResult(values: [1, 2, 3], computeSeconds: 0.001)),
        .result(RunResult(values: [], quantized: [4, 5, 6], computeSeconds: 0.002)),
        .export(sequence: 1, block: Block(layer: 2, kind: .attention(group: 1)), since: nil),
        .export(sequence: 1, block: Block(layer: 2, kind: .attention(group: 1)), since: 40),
        .exported(count: 41, checksum: 0xdead_beef_0123_4567, snapshot: true, bytes: [9, 8, 7]),
        .install(sequence: 1, block: Block(layer: 2, kind: .attention(group: 1)), snapshot: false, bytes: [1]),
        .installed(count: 41, checksum: 42),
        .drop(sequence: 1, block: Block(layer: 0, kind: .attention(group: 0))),
        .ok,
        .failure(code: "refused", message: "no room"),
    ]

    @Test func everyMessageRoundTrips() throws {
        for m in Self.samples {
            var splitter = FrameSplitter(peer: "test")
            splitter.feed(m.encoded())
            let frame = try #require(try splitter.next())
            let decoded = try Message.decode(type: frame.type, payload: frame.payload, peer: "test")
            #expect(decoded == m)
            #expect(try splitter.next() == nil)
        }
    }

    @Test func framesSplitAcrossReadsAndBackToBack() throws {
        let stream = Self.samples.flatMap { $0.encoded() }
        var splitter = FrameSplitter(peer: "test")
        var decoded: [Message] = []
        var i = 0
        var size = 1
        while i < stream.count {
            let end = min(stream.count, i + size)
            splitter.feed(stream[i..<end])
            i = end
            size = size * 3 % 17 + 1
            while let f = try splitter.next() { decoded.append(try Message.decode(type: f.type, payload: f.payload, peer: "t")) }
        }
        #expect(decoded == Self.samples)
    }

    @Test func oversizedFramesAreRefusedBeforeBuffering() {
        var header: [UInt8] = [0x48, 0x57, Frame.version, 8]
        header += [0xff, 0xff, 0xff, 0x7f]
        var splitter = FrameSplitter(maxPayload: 1 << 20, peer: "10.0.0.9:1")
        splitter.feed(header)
        do {
            _ = try splitter.next()
            Issue.record("a 2 GB frame header was accepted")
        } catch {
            #expect(error.code == .frameTooLarge && error.message.contains("2147483647") && error.message.contains("10.0.0.9"))
        }
    }

    @Test func badMagicAndVersionAreNamed() {
        #expect(throws: RuntimeError.self) { try Frame.parseHeader([0x47, 0x45, 0x54, 0x20, 0, 0, 0, 0], maxPayload: 10, peer: "p") }
        do {
            _ = try Frame.parseHeader([0x48, 0x57, 99, 1, 0, 0, 0, 0], maxPayload: 10, peer: "p")
        } catch {
            #expect(error.code == .incompatible && error.message.contains("99"))
        }
    }

    /// Truncated, extended and byte-flipped payloads of every message decode or throw; none traps.
    @Test func mutatedPayloadsNeverTrap() {
        var rng: UInt64 = 12345
        func next() -> UInt64 {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return rng >> 33
        }
        var rejected = 0
        for m in Self.samples {
            let frame = m.encoded()
            let payload = Array(frame[Frame.headerBytes...])
            for cut in 0..<payload.count {
                if (try? Message.decode(type: frame[3], payload: Array(payload[0..<cut]), peer: "f")) == nil { rejected += 1 }
            }
            for _ in 0..<300 {
                var p = payload
                if !p.isEmpty {
                    for _ in 0..<(1 + Int(next() % 3)) { p[Int(next()) % p.count] = UInt8(truncatingIfNeeded: next()) }
                }
                if next() % 4 == 0 { p += [UInt8(truncatingIfNeeded: next())] }
                _ = try? Message.decode(type: UInt8(truncatingIfNeeded: next() % 20), payload: p, peer: "f")
            }
        }
        #expect(rejected > 0)
    }

    @Test func lengthFieldsLargerThanThePayloadAreRejected() {
        var w = WireWriter()
        w.u32(1_000_000_000)  // claims a billion floats
        do {
            var r = WireReader(w.bytes, context: "t")
            _ = try r.floats("x")
            Issue.record("accepted")
        } catch {
            #expect(error.code == .badFrame && error.message.contains("'x'"))
        }
    }
}
