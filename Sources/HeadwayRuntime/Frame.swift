/// The framing of every connection between coordinator and workers: an 8-byte header, then the payload.
///
/// | bytes | field |
/// |---|---|
/// | 0-1 | magic `HW` |
/// | 2 | protocol version (`Frame.version`) |
/// | 3 | message type (`MessageType`) |
/// | 4-7 | payload length, u32 little-endian, at most the receiver's cap |
///
/// A receiver checks magic, version and length before it buffers the payload, so a garbled or hostile peer cannot
/// make it allocate more than the cap.
public enum Frame {
    public static let magic: (UInt8, UInt8) = (0x48, 0x57)  // "HW"
    public static let version: UInt8 = 2
    public static let headerBytes = 8
    /// Default cap on one frame's payload: a 2048-position K/V snapshot of a large model fits many times over.
    public static let defaultMaxPayload = 64 << 20

    /// Header + payload for `type`.
    public static func encode(type: UInt8, payload: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(headerBytes + payload.count)
        out += [magic.0, magic.1, version, type]
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { out += $0 }
        out += payload
        return out
    }

    /// Parses a header. Returns the message type and payload length.
    public static func parseHeader(_ h: some Collection<UInt8>, maxPayload: Int, peer: String) throws(RuntimeError) -> (type: UInt8, length: Int) {
        let b = Array(h.prefix(headerBytes))
        guard b.count == headerBytes else { throw RuntimeError(.badFrame, "\(peer): frame header of \(b.count) bytes") }
        guard b[0] == magic.0, b[1] == magic.1 else {
            throw RuntimeError(.badFrame, "\(peer): bad frame magic 0x\(String(b[0], radix: 16)) 0x\(String(b[1], radix: 16)) (not a headway peer?)")
        }
        guard b[2] == version else {
            throw RuntimeError(.incompatible, "\(peer): protocol version \(b[2]), this build speaks \(version)")
        }
        let length = Int(UInt32(b[4]) | UInt32(b[5]) << 8 | UInt32(b[6]) << 16 | UInt32(b[7]) << 24)
        guard length <= maxPayload else {
            throw RuntimeError(.frameTooLarge, "\(peer): frame of \(length) bytes exceeds the cap of \(maxPayload)")
        }
        return (b[3], length)
    }
}

/// Incremental frame splitter for a byte stream (used by the NIO decoder and by tests/fuzzing): feed bytes, take
/// whole frames. Holds at most one header plus one capped payload.
public struct FrameSplitter {
    public let maxPayload: Int
    public let peer: String
    private var buffer: [UInt8] = []
    private var start = 0

    public init(maxPayload: Int = Frame.defaultMaxPayload, peer: String) {
        self.maxPayload = maxPayload
        self.peer = peer
    }

    public mutating func feed(_ bytes: some Collection<UInt8>) { buffer += bytes }

    /// The next whole frame (type, payload), `nil` if more bytes are needed.
    public mutating func next() throws(RuntimeError) -> (type: UInt8, payload: [UInt8])? {
        guard buffer.count - start >= Frame.headerBytes else { compact(); return nil }
        let (type, length) = try Frame.parseHeader(buffer[start..<(start + Frame.headerBytes)], maxPayload: maxPayload, peer: peer)
        guard buffer.count - start >= Frame.headerBytes + length else { compact(); return nil }
        let p = start + Frame.headerBytes
        let payload = Array(buffer[p..<(p + length)])
        start = p + length
        return (type, payload)
    }

    private mutating func compact() {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
    }
}
