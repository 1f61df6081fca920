import Foundation
import HeadwayRuntime
import NIOCore
import NIOPosix

/// A worker process's server: accepts coordinator connections (a data and a bulk connection each), decodes frames
/// on the event loop and hands requests to one compute thread (`InProcessDevice`), which runs them in arrival order
/// and writes the replies back. A connection that sends garbage is closed without disturbing the others.
public final class WorkerServer: @unchecked Sendable {
    public let device: InProcessDevice
    let group: EventLoopGroup
    var channel: Channel?
    public let maxPayload: Int
    public let shaper: LinkShaper?
    public let key: ClusterKey?
    public var log: @Sendable (String) -> Void

    /// - Parameter shaper: emulates a slower link for every connection of this worker (nil: as fast as it is).
    /// - Parameter key: the cluster key; with one, a coordinator must prove it holds it before anything it sends is
    ///   read, and every frame is encrypted. `nil`: anyone who can connect is served (a trusted network only).
    public init(executor: DeviceExecutor, group: EventLoopGroup, maxPayload: Int = Frame.defaultMaxPayload,
                shaper: LinkShaper? = nil, key: ClusterKey? = nil, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.key = key
        device = InProcessDevice(executor: executor)
        self.group = group
        self.maxPayload = maxPayload
        self.shaper = shaper
        self.log = log
    }

    /// Binds and listens; returns the bound port (useful with port 0).
    public func start(host: String, port: Int) throws(RuntimeError) -> Int {
        let device = self.device
        let maxPayload = self.maxPayload
        let log = self.log
        let shaper = self.shaper
        let key = self.key
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let peer = "\(channel.remoteAddress?.description ?? "?")"
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addFrameHandlers(
                        peer: peer, maxPayload: maxPayload, key: key, role: .worker, authenticated: nil, log: log)
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(device: device, peer: peer, shaper: shaper, log: log))
                }
            }
        do {
            let ch = try bootstrap.bind(host: host, port: port).wait()
            channel = ch
            return ch.localAddress?.port ?? port
        } catch {
            throw RuntimeError(.unreachable, "cannot listen on \(host):\(port): \(error)")
        }
    }

    /// Blocks until the server channel closes.
    public func wait() {
        try? channel?.closeFuture.wait()
    }

    public func stop() {
        _ = try? channel?.close().wait()
        device.stop()
    }
}

/// Per connection: requests are handled in arrival order and answered in order. Without an emulated link, on the
/// event loop itself (decode, run, encode and write without a thread hop: a token's job crosses no queue on the
/// worker); with one, through the device's compute thread and a forwarder thread that holds each reply for the
/// link's delay.
final class RequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Message
    typealias OutboundOut = Message
    let device: InProcessDevice
    let peer: String
    let shaper: LinkShaper?
    let log: @Sendable (String) -> Void
    let replies = BlockingQueue<Message>()
    var forwarder: Thread?
    lazy var client: UInt64 = device.newClient()

    init(device: InProcessDevice, peer: String, shaper: LinkShaper?, log: @escaping @Sendable (String) -> Void) {
        self.device = device
        self.peer = peer
        self.shaper = shaper
        self.log = log
    }

    func channelActive(context: ChannelHandlerContext) {
        guard shaper != nil else {
            context.fireChannelActive()
            return
        }
        let channel = context.channel
        let replies = self.replies
        let shaper = self.shaper!
        // Replies are written from this thread after the emulated link's delay; NIO hops to the event loop.
        let t = Thread {
            while true {
                guard let m = replies.pop(timeout: 3600) else {
                    if replies.isClosed { return }
                    continue
                }
                LinkShaper.wait(until: shaper.arrival(bytes: m.encoded().count, direction: 1))
                channel.writeAndFlush(m, promise: nil)
            }
        }
        t.start()
        forwarder = t
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let m = unwrapInboundIn(data)
        guard let shaper else {
            context.writeAndFlush(wrapOutboundOut(device.handleNow(m, client: client)), promise: nil)
            return
        }
        device.submit(m, replyTo: replies, notBefore: shaper.arrival(bytes: m.encoded().count, direction: 0), client: client)
    }

    func channelInactive(context: ChannelHandlerContext) {
        replies.close()
        device.disconnected(client: client)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        log("closing connection from \(peer): \(error)")
        context.close(promise: nil)
    }
}
