public import HeadwayCore

/// Binary encoding of `Message` (inside a `Frame`). Decoding validates every field against `WireLimits` and throws
/// `bad-frame` naming the field; it never traps and never allocates more than the payload justifies.
public struct WireLimits: Sendable {
    public var maxLayers = 4096
    public var maxGroups = 1024
    public var maxPositions = 1 << 20
    public var maxTokens = 4096
    public var maxSteps = 3 * 4096
    public init() {}
}

extension Message {
    public func encoded() -> [UInt8] { Frame.encode(type: type, payload: payload()) }

    func payload() -> [UInt8] {
        var w = WireWriter()
        switch self {
        case .hello(let c, let v):
            w.string(c)
            w.int(v)
        case .welcome(let i):
            w.string(i.name)
            w.int(i.threads)
            w.f64(i.memoryBytes)
            w.string(i.kernels)
            w.string(i.modelFingerprint)
        case .measure, .ok:
            break
        case .measured(let s):
            w.f64(s.compute)
            w.f64(s.memoryBandwidth)
        case .echo(let d):
            w.data(d)
        case .open(let s, let c, let f, let blocks):
            w.u32(s)
            w.int(c)
            w.string(f)
            w.int(blocks.count)
            for b in blocks { Self.write(b, &w) }
        case .close(let s):
            w.u32(s)
        case .run(let j):
            w.u32(j.sequence)
            w.u32(j.epoch)
            w.int(j.position)
            w.int(j.tokens)
            w.int(j.steps.count)
            for s in j.steps {
                switch s {
                case .attention(let l, let g, let e):
                    w.u8(0)
                    w.int(l)
                    w.bool(e)
                    w.ints(g)
                case .projection(let l):
                    w.u8(1)
                    w.int(l)
                case .feedForward(let l):
                    w.u8(2)
                    w.int(l)
                }
            }
            w.floats(j.x)
            w.floats(j.heads)
            w.data(j.quantizedInput)
            w.data(j.quantizedHeads)
            w.bool(j.quantizeOutput)
        case .result(let r):
            w.f64(r.computeSeconds)
            w.floats(r.values)
            w.data(r.quantized)
        case .export(let s, let b, let since):
            w.u32(s)
            Self.write(b, &w)
            w.bool(since != nil)
            w.int(since ?? 0)
        case .exported(let c, let sum, let snapshot, let bytes):
            w.int(c)
            w.u64(sum)
            w.bool(snapshot)
            w.data(bytes)
        case .install(let s, let b, let snapshot, let bytes):
            w.u32(s)
            Self.write(b, &w)
            w.bool(snapshot)
            w.data(bytes)
        case .installed(let c, let sum):
            w.int(c)
            w.u64(sum)
        case .drop(let s, let b):
            w.u32(s)
            Self.write(b, &w)
        case .failure(let c, let m):
            w.string(c)
            w.string(m)
        }
        return w.bytes
    }

    static func write(_ b: Block, _ w: inout WireWriter) {
        w.int(b.layer)
        switch b.kind {
        case .attention(let g):
            w.u8(0)
            w.int(g)
        case .projection: w.u8(1)
        case .feedForward: w.u8(2)
        }
    }

    static func readBlock(_ r: inout WireReader, _ limits: WireLimits) throws(RuntimeError) -> Block {
        let layer = try r.int("block.layer", max: limits.maxLayers)
        switch try r.u8("block.kind") {
        case 0: return Block(layer: layer, kind: .attention(group: try r.int("block.group", max: limits.maxGroups)))
        case 1: return Block(layer: layer, kind: .projection)
        case 2: return Block(layer: layer, kind: .feedForward)
        case let k: throw r.fail("block.kind", "unknown block kind \(k)")
        }
    }

    /// Decodes the payload of a frame of `type`.
    public static func decode(type: UInt8, payload: [UInt8], limits: WireLimits = WireLimits(), peer: String) throws(RuntimeError) -> Message {
        var r = WireReader(payload, context: "\(peer): message type \(type)")
        let m: Message
        switch type {
        case 1: m = .hello(coordinator: try r.string("coordinator"), protocolVersion: try r.int("protocol_version"))
        case 2:
            m = .welcome(WorkerInfo(
                name: try r.string("name"), threads: try r.int("threads", max: 4096), memoryBytes: try r.f64("memory"),
                kernels: try r.string("kernels"), modelFingerprint: try r.string("fingerprint")))
        case 3: m = .measure
        case 4: m = .measured(WorkerSpeed(compute: try r.f64("compute"), memoryBandwidth: try r.f64("memory_bandwidth")))
        case 5: m = .echo(try r.data("echo"))
        case 6:
            let s = try r.u32("sequence")
            let c = try r.int("capacity", max: limits.maxPositions)
            let f = try r.string("cache_format", max: 64)
            let n = try r.int("blocks", max: min(limits.maxLayers * (limits.maxGroups + 2), r.remaining / 5))
            var blocks: [Block] = []
            for _ in 0..<n { blocks.append(try readBlock(&r, limits)) }
            m = .open(sequence: s, capacity: c, cacheFormat: f, blocks: blocks)
        case 7: m = .close(sequence: try r.u32("sequence"))
        case 8:
            let s = try r.u32("sequence")
            let e = try r.u32("epoch")
            let p = try r.int("position", max: limits.maxPositions)
            let t = try r.int("tokens", max: limits.maxTokens)
            let n = try r.int("steps", max: min(limits.maxSteps, r.remaining / 5))
            var steps: [Step] = []
            steps.reserveCapacity(n)
            for _ in 0..<n {
                let kind = try r.u8("step.kind")
                let l = try r.int("step.layer", max: limits.maxLayers)
                switch kind {
                case 0:
                    let emit = try r.bool("step.emit")
                    steps.append(.attention(layer: l, groups: try r.ints("step.groups", max: limits.maxGroups), emit: emit))
                case 1: steps.append(.projection(layer: l))
                case 2: steps.append(.feedForward(layer: l))
                default: throw r.fail("step.kind", "unknown step kind \(kind)")
                }
            }
            let x = try r.floats("x")
            let heads = try r.floats("heads")
            m = .run(RunJob(sequence: s, epoch: e, position: p, tokens: t, steps: steps, x: x, heads: heads,
                            quantizedInput: try r.data("quantized_input"), quantizedHeads: try r.data("quantized_heads"),
                            quantizeOutput: try r.bool("quantize_output")))
        case 9:
            let c = try r.f64("compute_seconds")
            let values = try r.floats("values")
            m = .result(RunResult(values: values, quantized: try r.data("quantized"), computeSeconds: c))
        case 10:
            let s = try r.u32("sequence")
            let b = try readBlock(&r, limits)
            let has = try r.bool("has_since")
            let since = try r.int("since", max: limits.maxPositions)
            guard has || since == 0 else { throw r.fail("since", "\(since) given without has_since") }
            m = .export(sequence: s, block: b, since: has ? since : nil)
        case 11:
            m = .exported(count: try r.int("count", max: limits.maxPositions), checksum: try r.u64("checksum"),
                          snapshot: try r.bool("snapshot"), bytes: try r.data("bytes"))
        case 12:
            let s = try r.u32("sequence")
            let b = try readBlock(&r, limits)
            m = .install(sequence: s, block: b, snapshot: try r.bool("snapshot"), bytes: try r.data("bytes"))
        case 13: m = .installed(count: try r.int("count", max: limits.maxPositions), checksum: try r.u64("checksum"))
        case 14: m = .drop(sequence: try r.u32("sequence"), block: try readBlock(&r, limits))
        case 15: m = .ok
        case 16: m = .failure(code: try r.string("code"), message: try r.string("message", max: 65536))
        default: throw RuntimeError(.badFrame, "\(peer): unknown message type \(type)")
        }
        try r.finish()
        return m
    }
}
