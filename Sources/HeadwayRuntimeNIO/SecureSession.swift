import Crypto
import Foundation
import HeadwayRuntime

/// Mutual authentication from the cluster key, then authenticated encryption of every frame (ChaCha20-Poly1305).
///
/// Handshake (frame types 0xF0–0xF4, outside the message types):
/// 1. coordinator → worker `HELLO(nc)`: 32 random bytes;
/// 2. worker → coordinator `CHALLENGE(nw, HMAC(K, "W" ‖ nc ‖ nw))`: the worker proves it holds K;
/// 3. coordinator checks that proof, then → worker `PROOF(HMAC(K, "C" ‖ nc ‖ nw))`; a wrong proof is answered
///    with `REFUSED` so that both sides can say which key is wrong;
/// 4. both derive one key per direction with HKDF(K, salt nc ‖ nw); the worker confirms with an encrypted `READY`.
/// Afterwards a frame's payload is sealed with the direction's key, nonce = direction ‖ frame counter, and the frame
/// header as associated data: a replayed, reordered, altered or foreign frame fails to open and closes the link.
final class SecureSession {
    enum Role { case coordinator, worker }
    static let hello: UInt8 = 0xF0, challenge: UInt8 = 0xF1, proof: UInt8 = 0xF2, ready: UInt8 = 0xF3, refused: UInt8 = 0xF4
    static let handshakeMaxPayload = 128

    let role: Role
    let key: ClusterKey
    let peer: String
    private(set) var nc: [UInt8] = []
    private(set) var nw: [UInt8] = []
    private var sendKey: SymmetricKey?
    private var receiveKey: SymmetricKey?
    private var sent: UInt64 = 0
    private var received: UInt64 = 0
    private(set) var isEstablished = false

    init(role: Role, key: ClusterKey, peer: String) {
        self.role = role
        self.key = key
        self.peer = peer
    }

    static func random(_ n: Int) -> [UInt8] {
        SymmetricKey(size: SymmetricKeySize(bitCount: 8 * n)).withUnsafeBytes { Array($0) }
    }

    /// Coordinator: the first frame.
    func start() -> (UInt8, [UInt8]) {
        nc = Self.random(32)
        return (Self.hello, nc)
    }

    /// Handles a handshake frame; returns the frames to send. Throws when the peer fails authentication.
    func handshake(type: UInt8, payload: [UInt8]) throws(RuntimeError) -> [(UInt8, [UInt8])] {
        switch (role, type) {
        case (.worker, Self.hello) where nc.isEmpty && payload.count == 32:
            nc = payload
            nw = Self.random(32)
            return [(Self.challenge, nw + key.mac([0x57], nc, nw))]
        case (.coordinator, Self.challenge) where payload.count == 64 && !nc.isEmpty && nw.isEmpty:
            nw = Array(payload[0..<32])
            guard key.verify(Array(payload[32...]), [0x57], nc, nw) else {
                throw RuntimeError(.refused, "\(peer) does not hold this cluster's key (its proof does not match): check --key-file on both sides")
            }
            establish()
            return [(Self.proof, key.mac([0x43], nc, nw))]
        case (.worker, Self.proof) where payload.count == 32 && !nw.isEmpty && !isEstablished:
            guard key.verify(payload, [0x43], nc, nw) else {
                throw RuntimeError(.refused, "coordinator at \(peer) does not hold this cluster's key (wrong --key-file?)")
            }
            establish()
            return [(Self.ready, try seal(type: Self.ready, payload: []))]
        case (.coordinator, Self.ready) where isEstablished:
            _ = try open(type: type, payload: payload)
            return []
        case (_, Self.refused):
            throw RuntimeError(.refused, "\(peer) refused this cluster key: the keys differ (check --key-file on both sides)")
        default:
            throw RuntimeError(.badFrame, "\(peer): unexpected frame type \(type) of \(payload.count) bytes during authentication")
        }
    }

    private func establish() {
        let c2w = key.sessionKey(nc, nw, direction: "c2w"), w2c = key.sessionKey(nc, nw, direction: "w2c")
        sendKey = role == .coordinator ? c2w : w2c
        receiveKey = role == .coordinator ? w2c : c2w
        isEstablished = true
    }

    private func nonce(_ counter: UInt64, sending: Bool) -> ChaChaPoly.Nonce {
        let direction: UInt32 = (role == .coordinator) == sending ? 0 : 1
        var bytes = withUnsafeBytes(of: direction.littleEndian) { Array($0) }
        withUnsafeBytes(of: counter.littleEndian) { bytes += $0 }
        return try! ChaChaPoly.Nonce(data: bytes)
    }

    static func header(type: UInt8, length: Int) -> [UInt8] {
        var h: [UInt8] = [Frame.magic.0, Frame.magic.1, Frame.version, type]
        withUnsafeBytes(of: UInt32(length).littleEndian) { h += $0 }
        return h
    }

    /// Ciphertext ‖ tag of `payload` for a frame of `type` (the header, with the sealed length, is authenticated).
    func seal(type: UInt8, payload: [UInt8]) throws(RuntimeError) -> [UInt8] {
        guard let k = sendKey else { throw RuntimeError(.badFrame, "sealing before the handshake with \(peer)") }
        let n = nonce(sent, sending: true)
        sent += 1
        do {
            let box = try ChaChaPoly.seal(payload, using: k, nonce: n, authenticating: Self.header(type: type, length: payload.count + 16))
            return Array(box.ciphertext) + Array(box.tag)
        } catch {
            throw RuntimeError(.badFrame, "sealing a frame for \(peer): \(error)")
        }
    }

    /// The plaintext of a sealed payload, or an error (and the link must close).
    func open(type: UInt8, payload: [UInt8]) throws(RuntimeError) -> [UInt8] {
        guard let k = receiveKey else { throw RuntimeError(.badFrame, "\(peer): frame before authentication") }
        guard payload.count >= 16 else { throw RuntimeError(.badFrame, "\(peer): sealed frame of \(payload.count) bytes") }
        let n = nonce(received, sending: false)
        received += 1
        do {
            let box = try ChaChaPoly.SealedBox(nonce: n, ciphertext: payload.dropLast(16), tag: payload.suffix(16))
            return Array(try ChaChaPoly.open(box, using: k, authenticating: Self.header(type: type, length: payload.count)))
        } catch {
            throw RuntimeError(.badFrame, "\(peer): a frame failed authentication (altered, replayed or foreign)")
        }
    }
}
