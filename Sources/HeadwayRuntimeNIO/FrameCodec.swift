import HeadwayRuntime
import NIOCore

/// Splits a TCP byte stream into `Message`s: checks each frame header (magic, version, length against the cap)
/// before buffering its payload, then decodes and validates the message. Any violation closes the connection with
/// an error naming the peer; nothing larger than the cap is ever buffered.
final class MessageDecoder: ByteToMessageDecoder {
    typealias InboundOut = Message
    let maxPayload: Int
    let peer: String
    let limits: WireLimits

    init(maxPayload: Int, peer: String, limits: WireLimits = WireLimits()) {
        self.maxPayload = maxPayload
        self.peer = peer
        self.limits = limits
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes >= Frame.headerBytes,
              let header = buffer.getBytes(at: buffer.readerIndex, length: Frame.headerBytes) else { return .needMoreData }
        let (type, length) = try Frame.parseHeader(header, maxPayload: maxPayload, peer: peer)
        guard buffer.readableBytes >= Frame.headerBytes + length else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: Frame.headerBytes)
        let payload = buffer.readBytes(length: length)!
        context.fireChannelRead(wrapInboundOut(try Message.decode(type: type, payload: payload, limits: limits, peer: peer)))
        return .continue
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Writes `Message`s as frames.
final class MessageEncoder: MessageToByteEncoder {
    typealias OutboundIn = Message
    func encode(data: Message, out: inout ByteBuffer) throws {
        out.writeBytes(data.encoded())
    }
}
