import Foundation
import HeadwayRuntime
import NIOCore
import NIOPosix

/// A coordinator's TCP connection to a worker (SwiftNIO, TCP_NODELAY, capped length-prefixed frames). Replies are
/// queued as they arrive on the event loop and read by the coordinator's thread with `receive`.
public final class NIOConnection: Connection, @unchecked Sendable {
    public let peer: String
    let channel: Channel
    let replies: BlockingQueue<Message>
    let counters: ByteCounters

    final class ByteCounters: @unchecked Sendable {
        private let lock = NSLock()
        private var sent = 0, received = 0
        func add(sent s: Int = 0, received r: Int = 0) {
            lock.lock()
            sent += s
            received += r
            lock.unlock()
        }
        var totals: (Int, Int) {
            lock.lock()
            defer { lock.unlock() }
            return (sent, received)
        }
    }

    /// Connects to `host:port`.
    /// - Throws: `unreachable` naming the address when the connection fails.
    /// - Parameter key: the cluster key: the worker must prove it holds it (and is asked the same), and every frame
    ///   is encrypted and authenticated. `nil`: a plain connection (only for workers started without a key).
    public static func connect(host: String, port: Int, group: EventLoopGroup, name: String? = nil, key: ClusterKey? = nil,
                               maxPayload: Int = Frame.defaultMaxPayload, timeout: Double = 5) throws(RuntimeError) -> NIOConnection {
        let peer = name ?? "\(host):\(port)"
        let replies = BlockingQueue<Message>()
        let counters = ByteCounters()
        let authenticated = group.next().makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(Int64(timeout * 1000)))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteCountingHandler(counters: counters))
                    try channel.pipeline.syncOperations.addFrameHandlers(
                        peer: peer, maxPayload: maxPayload, key: key, role: .coordinator, authenticated: authenticated, log: { _ in })
                    try channel.pipeline.syncOperations.addHandler(ReplyCollector(replies: replies))
                }
            }
        let channel: Channel
        do {
            channel = try bootstrap.connect(host: host, port: port).wait()
        } catch {
            authenticated.succeed(())
            throw RuntimeError(.unreachable, "cannot reach worker at \(host):\(port): \(error)")
        }
        if key == nil { authenticated.succeed(()) }
        do {
            try authenticated.futureResult.wait()
        } catch let e as RuntimeError {
            channel.close(promise: nil)
            throw e
        } catch {
            channel.close(promise: nil)
            throw RuntimeError(.refused, "\(peer): authentication failed: \(error)")
        }
        return NIOConnection(peer: peer, channel: channel, replies: replies, counters: counters)
    }

    init(peer: String, channel: Channel, replies: BlockingQueue<Message>, counters: ByteCounters) {
        self.peer = peer
        self.channel = channel
        self.replies = replies
        self.counters = counters
    }

    public func send(_ message: Message) throws(RuntimeError) {
        guard channel.isActive else { throw RuntimeError(.unreachable, "connection to \(peer) is closed") }
        channel.writeAndFlush(message, promise: nil)
    }

    public func receive(timeout: Double) throws(RuntimeError) -> Message? {
        guard let m = replies.pop(timeout: timeout) else {
            if replies.isClosed { throw RuntimeError(.unreachable, "connection to \(peer) closed (worker gone?)") }
            return nil
        }
        return m
    }

    public var bytesSent: Int { counters.totals.0 }
    public var bytesReceived: Int { counters.totals.1 }

    public func close() {
        _ = try? channel.close().wait()
    }
}

/// Pushes decoded replies into the connection's queue; closes the queue when the channel goes away.
final class ReplyCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Message
    let replies: BlockingQueue<Message>
    init(replies: BlockingQueue<Message>) { self.replies = replies }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        replies.push(unwrapInboundIn(data))
    }
    func channelInactive(context: ChannelHandlerContext) {
        replies.close()
        context.fireChannelInactive()
    }
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        replies.close()
        context.close(promise: nil)
    }
}

/// Counts the bytes that cross the socket, both ways.
final class ByteCountingHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let counters: NIOConnection.ByteCounters
    init(counters: NIOConnection.ByteCounters) { self.counters = counters }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        counters.add(received: unwrapInboundIn(data).readableBytes)
        context.fireChannelRead(data)
    }
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        counters.add(sent: unwrapOutboundIn(data).readableBytes)
        context.write(data, promise: promise)
    }
}
