import HeadwayCore
import HeadwayRuntime

/// The runtime's wire format as a worker or coordinator reads it from a TCP stream: bytes split into frames
/// (`FrameSplitter`, with a 64 KiB cap here) and each frame decoded into a `Message`. Every input must end in frames
/// that decode or in `RuntimeError`s; an accepted message must encode back to the very frame it came from.
public enum WireFrameFuzzTarget: FuzzTarget {
    public static let name = "wire-frame"
    public static var maxInputBytes: Int { 16384 }

    public static func seeds() -> [[UInt8]] {
        let block = Block(layer: 3, kind: .attention(group: 1))
        let messages: [Message] = [
            .hello(coordinator: "coordinator", protocolVersion: 1),
            .welcome(WorkerInfo(name: "w1", threads: 1, memoryBytes: 1e9, kernels: "avx2", modelFingerprint: "98362432-1f")),
            .measure, .measured(WorkerSpeed(compute: 3e10, memoryBandwidth: 1e10)), .echo([1, 2, 3]),
            .open(sequence: 1, capacity: 2048, cacheFormat: "q8_0:4:128", blocks: [block, Block(layer: 0, kind: .projection)]),
            .close(sequence: 1),
            .run(RunJob(sequence: 1, epoch: 2, position: 7, tokens: 1,
                        steps: [.attention(layer: 3, groups: [0, 2], emit: false), .projection(layer: 3), .feedForward(layer: 3)],
                        x: [0.5, -1, 2], heads: [])),
            .run(RunJob(sequence: 1, epoch: 2, position: 7, tokens: 1, steps: [.attention(layer: 3, groups: [1], emit: true)], x: [],
                        quantizedInput: [0x00, 0x3c, 0x00, 0x40] + [UInt8](repeating: 3, count: 32), quantizeOutput: true)),
            .run(RunJob(sequence: 1, epoch: 2, position: 7, tokens: 1, steps: [.projection(layer: 3)], x: [1], quantizedHeads: [9, 9])),
            .result(RunResult(values: [1, 2], computeSeconds: 0.002)),
            .result(RunResult(values: [], quantized: [1, 2, 3], computeSeconds: 0.002)),
            .export(sequence: 1, block: block, since: 12), .exported(count: 13, checksum: 99, snapshot: false, bytes: [7, 7]),
            .install(sequence: 1, block: block, snapshot: true, bytes: Array("HWKV".utf8)), .installed(count: 13, checksum: 99),
            .drop(sequence: 1, block: block), .ok, .failure(code: "refused", message: "no room"),
        ]
        return messages.map { $0.encoded() } + [messages.flatMap { $0.encoded() }]
    }

    public static func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) -> Bool {
        var splitter = FrameSplitter(maxPayload: 1 << 16, peer: "fuzz")
        splitter.feed(input)
        var accepted = false
        while true {
            let frame: (type: UInt8, payload: [UInt8])
            do {
                guard let f = try splitter.next() else { return accepted }
                frame = f
            } catch {
                guard error.message.contains("fuzz") else { throw FuzzFailure("\(name): error without the peer: \(error)") }
                return accepted
            }
            let m: Message
            do {
                m = try Message.decode(type: frame.type, payload: frame.payload, peer: "fuzz")
            } catch {
                guard error.code == .badFrame || error.code == .incompatible, error.message.contains("fuzz") else {
                    throw FuzzFailure("\(name): unexpected error \(error)")
                }
                continue
            }
            let again = m.encoded()
            guard again[3] == frame.type, Array(again[Frame.headerBytes...]) == frame.payload else {
                throw FuzzFailure("\(name): message type \(frame.type) does not encode back to its \(frame.payload.count)-byte frame")
            }
            accepted = true
        }
    }
}
