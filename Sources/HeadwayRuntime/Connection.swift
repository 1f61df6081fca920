import Foundation
import HeadwayEngine

/// One ordered, bidirectional message stream from the coordinator to a device: requests go out with `send`, and the
/// device answers each request, in order, with one reply. Implementations: `InProcessConnection` (tests, and the
/// coordinator's own device) and the SwiftNIO TCP connection in HeadwayRuntimeNIO.
public protocol Connection: AnyObject, Sendable {
    /// Who is at the other end (for messages).
    var peer: String { get }
    /// Queues a request. Throws `unreachable` when the connection is closed.
    func send(_ message: Message) throws(RuntimeError)
    /// The next reply, waiting at most `timeout` seconds: `nil` when none arrived in time. Throws `unreachable`
    /// once the connection is closed and every reply has been read.
    func receive(timeout: Double) throws(RuntimeError) -> Message?
    /// Bytes sent and received so far (frames included).
    var bytesSent: Int { get }
    var bytesReceived: Int { get }
    func close()
}

extension Connection {
    /// Sends a request and waits for its reply; a `.failure` reply is thrown as an error naming the peer.
    public func call(_ message: Message, timeout: Double) throws(RuntimeError) -> Message {
        try send(message)
        return try reply(timeout: timeout)
    }

    /// Waits for the next reply; a `.failure` reply or no reply in time is thrown.
    public func reply(timeout: Double) throws(RuntimeError) -> Message {
        guard let m = try receive(timeout: timeout) else {
            throw RuntimeError(.timeout, "\(peer) did not answer within \(timeout) s")
        }
        if case .failure(let code, let message) = m { throw RuntimeError(RuntimeError.Code(code), "\(peer): \(message)") }
        return m
    }
}

/// A thread-safe FIFO whose `pop` waits with a deadline; `close` wakes waiters. The inbox and outbox of
/// connections.
public final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
    private var items: [Element] = []
    private var head = 0
    private var closed = false
    private let condition = NSCondition()

    public init() {}

    public func push(_ e: Element) {
        condition.lock()
        items.append(e)
        condition.signal()
        condition.unlock()
    }

    /// The next element; `nil` after `timeout` seconds or when closed and empty. `isClosed` tells which.
    public func pop(timeout: Double) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: max(0, timeout))
        while head == items.count && !closed {
            if !condition.wait(until: deadline) { break }
        }
        guard head < items.count else { return nil }
        let e = items[head]
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return e
    }

    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    public var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed && head == items.count
    }
}

/// A device in this process: a compute thread that handles requests for a `DeviceExecutor` one at a time, from any
/// number of connections (a data and a bulk connection, like a remote worker). Messages are passed as values, not
/// bytes, but every request and reply is also encoded to count the bytes a network would carry.
public final class InProcessDevice: @unchecked Sendable {
    public let executor: DeviceExecutor
    enum Work: Sendable {
        case request(Message, BlockingQueue<Message>, notBefore: Double, client: UInt64)
        /// A connection closed: forget the sequences it opened.
        case disconnect(client: UInt64)
    }
    private let inbox = BlockingQueue<Work>()
    private var thread: Thread?
    /// Held while the executor handles anything: requests run on the compute thread or, through `handleNow`, on the
    /// caller's thread, never two at once.
    private let serial = NSLock()
    private let clients = NSLock()
    private var nextClient: UInt64 = 1

    public init(executor: DeviceExecutor) {
        self.executor = executor
        let inbox = self.inbox
        let serial = self.serial
        let t = Thread {
            while true {
                guard let work = inbox.pop(timeout: 3600) else {
                    if inbox.isClosed { return }
                    continue
                }
                switch work {
                case .request(let request, let replyTo, let notBefore, let client):
                    if notBefore > 0 { DeviceExecutor.sleep(seconds: notBefore - monotonicSeconds()) }
                    serial.lock()
                    let reply = executor.handle(request, client: client)
                    serial.unlock()
                    replyTo.push(reply)
                case .disconnect(let client):
                    serial.lock()
                    executor.forget(client: client)
                    serial.unlock()
                }
            }
        }
        t.name = "headway-device-\(executor.info.name)"
        t.start()
        thread = t
    }

    /// A new connection to this device.
    public func connect() -> InProcessConnection {
        let c = InProcessConnection(device: self, client: newClient())
        clients.lock()
        connections.append(c)
        clients.unlock()
        return c
    }

    /// An identifier for a new connection (sequences are owned by the connection that opened them).
    public func newClient() -> UInt64 {
        clients.lock()
        defer { clients.unlock() }
        nextClient += 1
        return nextClient
    }

    /// Queues a request from `client`; its reply goes to `replyTo`. `notBefore`: monotonic time before which it is
    /// not handled (an emulated link's arrival time), 0 for none.
    public func submit(_ m: Message, replyTo: BlockingQueue<Message>, notBefore: Double = 0, client: UInt64 = 0) {
        inbox.push(.request(m, replyTo, notBefore: notBefore, client: client))
    }

    /// Handles a request on the caller's thread and returns the reply (a transport that has nothing to wait for
    /// saves the hand-off to the compute thread and back). Serialised with the compute thread's work.
    public func handleNow(_ m: Message, client: UInt64) -> Message {
        serial.lock()
        defer { serial.unlock() }
        return executor.handle(m, client: client)
    }

    /// The connection `client` closed: the sequences it opened are dropped (after the requests queued before).
    public func disconnected(client: UInt64) { inbox.push(.disconnect(client: client)) }

    /// Stops the compute thread: pending requests get no reply.
    public func stop() { inbox.close() }

    /// As if the worker process were killed: the compute thread stops and every connection to it breaks.
    public func kill() {
        stop()
        clients.lock()
        let open = connections
        connections = []
        clients.unlock()
        for c in open { c.replies.close() }
    }

    private var connections: [InProcessConnection] = []
}

public final class InProcessConnection: Connection, @unchecked Sendable {
    let device: InProcessDevice
    let client: UInt64
    let replies = BlockingQueue<Message>()
    private let lock = NSLock()
    private var sent = 0, received = 0, open = true

    init(device: InProcessDevice, client: UInt64) {
        self.device = device
        self.client = client
    }

    public var peer: String { device.executor.info.name }

    public func send(_ message: Message) throws(RuntimeError) {
        lock.lock()
        guard open else {
            lock.unlock()
            throw RuntimeError(.unreachable, "connection to \(peer) is closed")
        }
        sent += message.encoded().count
        lock.unlock()
        device.submit(message, replyTo: replies, client: client)
    }

    public func receive(timeout: Double) throws(RuntimeError) -> Message? {
        guard let m = replies.pop(timeout: timeout) else {
            if replies.isClosed { throw RuntimeError(.unreachable, "connection to \(peer) is closed") }
            return nil
        }
        lock.lock()
        received += m.encoded().count
        lock.unlock()
        return m
    }

    public var bytesSent: Int { lock.lock(); defer { lock.unlock() }; return sent }
    public var bytesReceived: Int { lock.lock(); defer { lock.unlock() }; return received }

    public func close() {
        lock.lock()
        let wasOpen = open
        open = false
        lock.unlock()
        replies.close()
        if wasOpen { device.disconnected(client: client) }
    }
}
