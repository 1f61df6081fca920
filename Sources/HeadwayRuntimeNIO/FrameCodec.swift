import HeadwayRuntime
import NIOCore

/// One frame off the wire: its type and payload (still sealed, on an encrypted link).
struct RawFrame {
    var type: UInt8
    var payload: [UInt8]
}

/// The current cap on a connection's frames: small until the peer has authenticated, then the configured cap.
final class FrameLimit: @unchecked Sendable {
    var maxPayload: Int
    init(_ maxPayload: Int) { self.maxPayload = maxPayload }
}

/// Splits the TCP byte stream into frames, checking each header (magic, version, length against the cap) before
/// buffering its payload, so nothing larger than the cap is ever held. A violation closes the connection with an
/// error naming the peer.
final class RawFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = RawFrame
    let limit: FrameLimit
    let peer: String

    init(limit: FrameLimit, peer: String) {
        self.limit = limit
        self.peer = peer
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes >= Frame.headerBytes,
              let header = buffer.getBytes(at: buffer.readerIndex, length: Frame.headerBytes) else { return .needMoreData }
        let (type, length) = try Frame.parseHeader(header, maxPayload: limit.maxPayload, peer: peer)
        guard buffer.readableBytes >= Frame.headerBytes + length else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: Frame.headerBytes)
        context.fireChannelRead(wrapInboundOut(RawFrame(type: type, payload: buffer.readBytes(length: length)!)))
        return .continue
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Writes frames.
final class RawFrameEncoder: MessageToByteEncoder {
    typealias OutboundIn = RawFrame
    func encode(data: RawFrame, out: inout ByteBuffer) throws {
        out.writeBytes([Frame.magic.0, Frame.magic.1, Frame.version, data.type])
        out.writeInteger(UInt32(data.payload.count), endianness: .little)
        out.writeBytes(data.payload)
    }
}

/// Frames ↔ messages (decoding validates every field: `Message.decode`).
final class MessageCodec: ChannelDuplexHandler {
    typealias InboundIn = RawFrame
    typealias InboundOut = Message
    typealias OutboundIn = Message
    typealias OutboundOut = RawFrame
    let peer: String
    let limits = WireLimits()
    init(peer: String) { self.peer = peer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let f = unwrapInboundIn(data)
        do {
            context.fireChannelRead(wrapInboundOut(try Message.decode(type: f.type, payload: f.payload, limits: limits, peer: peer)))
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let m = unwrapOutboundIn(data)
        let bytes = m.encoded()
        context.write(wrapOutboundOut(RawFrame(type: m.type, payload: Array(bytes[Frame.headerBytes...]))), promise: promise)
    }
}

/// Authenticates the peer with the cluster key, then seals and opens every frame (`SecureSession`). Until the
/// handshake is done, nothing but handshake frames of at most `SecureSession.handshakeMaxPayload` bytes is read.
final class SecureHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = RawFrame
    typealias InboundOut = RawFrame
    typealias OutboundIn = RawFrame
    typealias OutboundOut = RawFrame
    let session: SecureSession
    let limit: FrameLimit
    let maxPayload: Int
    let authenticated: EventLoopPromise<Void>?
    let log: @Sendable (String) -> Void
    private var ready = false

    init(session: SecureSession, limit: FrameLimit, authenticated: EventLoopPromise<Void>?, log: @escaping @Sendable (String) -> Void) {
        self.session = session
        self.limit = limit
        maxPayload = limit.maxPayload
        limit.maxPayload = SecureSession.handshakeMaxPayload
        self.authenticated = authenticated
        self.log = log
    }

    func channelActive(context: ChannelHandlerContext) {
        if session.role == .coordinator {
            let (t, p) = session.start()
            context.writeAndFlush(wrapOutboundOut(RawFrame(type: t, payload: p)), promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let f = unwrapInboundIn(data)
        do {
            if ready {
                context.fireChannelRead(wrapInboundOut(RawFrame(type: f.type, payload: try session.open(type: f.type, payload: f.payload))))
                return
            }
            for (t, p) in try session.handshake(type: f.type, payload: f.payload) {
                context.writeAndFlush(wrapOutboundOut(RawFrame(type: t, payload: p)), promise: nil)
            }
            if session.isEstablished && (session.role == .worker || f.type == SecureSession.ready) {
                ready = true
                limit.maxPayload = maxPayload
                authenticated?.succeed(())
            }
        } catch {
            if error.code == .refused && f.type != SecureSession.refused {
                context.writeAndFlush(wrapOutboundOut(RawFrame(type: SecureSession.refused, payload: [])), promise: nil)
            }
            log(error.message)
            authenticated?.fail(error)
            context.close(promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let f = unwrapOutboundIn(data)
        guard ready else {
            promise?.fail(RuntimeError(.refused, "\(session.peer): not authenticated"))
            return
        }
        do {
            context.write(wrapOutboundOut(RawFrame(type: f.type, payload: try session.seal(type: f.type, payload: f.payload))), promise: promise)
        } catch {
            promise?.fail(error)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !ready {
            authenticated?.fail(RuntimeError(.refused, "\(session.peer) closed the connection during authentication (wrong key, or not a headway worker?)"))
        }
        context.fireChannelInactive()
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// The frame stack of a connection: framing, optional authentication/encryption, messages.
    func addFrameHandlers(peer: String, maxPayload: Int, key: ClusterKey?, role: SecureSession.Role,
                          authenticated: EventLoopPromise<Void>?, log: @escaping @Sendable (String) -> Void) throws {
        let limit = FrameLimit(maxPayload)
        try addHandler(MessageToByteHandler(RawFrameEncoder()))
        try addHandler(ByteToMessageHandler(RawFrameDecoder(limit: limit, peer: peer)))
        if let key {
            try addHandler(SecureHandler(session: SecureSession(role: role, key: key, peer: peer), limit: limit,
                                         authenticated: authenticated, log: log))
        }
        try addHandler(MessageCodec(peer: peer))
    }
}
