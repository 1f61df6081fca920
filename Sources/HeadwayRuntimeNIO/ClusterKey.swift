import Crypto
import Foundation
import HeadwayRuntime

/// The secret every device of a cluster shares (`headway cluster init` writes one): 32 random bytes, stored as 64 hex
/// digits in a file only its owner can read. Coordinator and workers prove to each other that they hold it, and
/// derive from it the keys that encrypt and authenticate every frame.
public struct ClusterKey: Sendable {
    let key: SymmetricKey

    public init(bytes: [UInt8]) throws(RuntimeError) {
        guard bytes.count >= 32 else { throw RuntimeError(.invalidArgument, "a cluster key needs at least 32 bytes, got \(bytes.count)") }
        key = SymmetricKey(data: bytes)
    }

    /// Reads a key file (hex digits; white space ignored).
    public init(file path: String) throws(RuntimeError) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RuntimeError(.invalidArgument, "key file '\(path)' cannot be read")
        }
        let hex = text.filter { !$0.isWhitespace }
        guard hex.count >= 64, hex.count % 2 == 0, hex.allSatisfy(\.isHexDigit) else {
            throw RuntimeError(.invalidArgument, "key file '\(path)': expected at least 64 hex digits (made by `headway cluster init`), found \(hex.count) characters")
        }
        var bytes: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            bytes.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        try self.init(bytes: bytes)
    }

    /// A new random key as hex.
    public static func generateHex() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }

    /// HMAC-SHA256 of `parts` under the cluster key.
    func mac(_ parts: [UInt8]...) -> [UInt8] {
        var h = HMAC<SHA256>(key: key)
        for p in parts { h.update(data: p) }
        return Array(h.finalize())
    }

    func verify(_ tag: [UInt8], _ parts: [UInt8]...) -> Bool {
        var data: [UInt8] = []
        for p in parts { data += p }
        return HMAC<SHA256>.isValidAuthenticationCode(tag, authenticating: data, using: key)
    }

    /// A direction's frame key for the session of nonces `nc`, `nw`.
    func sessionKey(_ nc: [UInt8], _ nw: [UInt8], direction: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, salt: nc + nw, info: Array("headway/1 \(direction)".utf8), outputByteCount: 32)
    }
}
