public import HeadwayEngine
import HeadwayGGUF

extension LlamaModel {
    /// A fingerprint of the model file: its size, data offset and every tensor's name, type, shape and offset (FNV-1a,
    /// 64 bits). Coordinator and workers refuse each other when theirs differ.
    public var fingerprint: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: some Sequence<UInt8>) { for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 } }
        func mix(_ v: Int) { withUnsafeBytes(of: UInt64(truncatingIfNeeded: v).littleEndian) { mix($0) } }
        mix(file.fileSize)
        mix(file.dataOffset)
        for t in file.tensors {
            mix(t.name.utf8)
            mix(t.offset)
            mix(Int(t.type.rawValue))
            for d in t.dimensions { mix(d) }
        }
        return "\(file.fileSize)-\(String(h, radix: 16))"
    }
}
