import Foundation
import Glibc
import HeadwayCore
import HeadwayEngine
import HeadwayRuntime
import HeadwayRuntimeNIO
import HeadwayTestSupport
import NIOCore
import NIOPosix
import Testing

/// The runtime over real TCP on loopback (SwiftNIO workers in this process, each with its own compute thread).
@Suite(.serialized, .enabled(if: TestModel.isEnabled)) struct NIOTransportTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    static func startWorkers(_ n: Int, maxPayload: Int = Frame.defaultMaxPayload) throws -> [(WorkerServer, Int)] {
        try (1...n).map { i in
            let executor = try DeviceExecutor(model: DistributedGenerationTests.model, name: "tcp\(i)", threads: 1, maxContext: 256)
            let server = WorkerServer(executor: executor, group: group, maxPayload: maxPayload)
            return (server, try server.start(host: "127.0.0.1", port: 0))
        }
    }

    static func connect(_ port: Int) throws -> RemoteDevice {
        RemoteDevice(data: try NIOConnection.connect(host: "127.0.0.1", port: port, group: group),
                     bulk: try NIOConnection.connect(host: "127.0.0.1", port: port, group: group))
    }

    @Test func tcpWorkersGiveTheSameTokensAndMigrate() throws {
        let expected = try DistributedGenerationTests.singleProcess(.standard, tokens: 24)
        let servers = try Self.startWorkers(3)
        defer { servers.forEach { $0.0.stop() } }
        let remotes = try servers.map { try Self.connect($0.1) }
        defer { remotes.forEach { $0.data.close(); $0.bulk.close() } }
        let layout = BlockLayout(shape: try ModelShape(gguf: DistributedGenerationTests.model.file))
        var placement = Placement(blockCount: layout.count, allOn: 1)
        for l in 0..<layout.layerCount { for g in 0..<layout.groupsPerLayer { placement[layout.attentionIndex(layer: l, group: g)] = 1 + g } }
        var o = DistributedGenerationTests.options(.standard, placement: placement)
        o.forceMigrationEvery = 5
        let local = try DeviceExecutor(model: DistributedGenerationTests.model, name: "coordinator", threads: 1, maxContext: 256)
        let c = try Coordinator(model: DistributedGenerationTests.model, local: local, remotes: remotes, options: o)
        let report = try DistributedGenerationTests.run(c, tokens: 24)
        #expect(report.tokens == expected)
        #expect(report.migrations.count >= 3)
        #expect(report.devices.dropFirst().allSatisfy { $0.bytes_sent > 0 && $0.bytes_received > 0 && $0.rtt_ms > 0 })
    }

    /// Garbage, an oversized frame and a flood of idle connections: the worker closes those and keeps serving.
    @Test func garbageAndFloodsDoNotStopAWorker() throws {
        let servers = try Self.startWorkers(1, maxPayload: 1 << 20)
        defer { servers.forEach { $0.0.stop() } }
        let port = servers[0].1
        func raw(_ bytes: [UInt8]) throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            #expect(rc == 0)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            var buffer = [UInt8](repeating: 0, count: 64)
            var tv = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            #expect(recv(fd, &buffer, 64, 0) <= 0, "the worker answered garbage")  // closed, not answered
        }
        try raw(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        try raw([0x48, 0x57, Frame.version, 8, 0xff, 0xff, 0xff, 0x0f])  // 256 MB frame announced
        try raw([0x48, 0x57, Frame.version, 99, 2, 0, 0, 0, 1, 2])       // unknown message type
        var idle: [NIOConnection] = []
        for _ in 0..<50 { idle.append(try NIOConnection.connect(host: "127.0.0.1", port: port, group: Self.group)) }
        let conn = try NIOConnection.connect(host: "127.0.0.1", port: port, group: Self.group)
        guard case .welcome(let info) = try conn.call(.hello(coordinator: "t", protocolVersion: 1), timeout: 10) else {
            Issue.record("no welcome")
            return
        }
        #expect(info.name == "tcp1")
        idle.forEach { $0.close() }
        conn.close()
    }

    @Test func anUnreachableWorkerIsNamed() {
        do {
            _ = try NIOConnection.connect(host: "127.0.0.1", port: 1, group: Self.group)
            Issue.record("connected to port 1")
        } catch {
            #expect(error.code == .unreachable && error.message.contains("127.0.0.1:1"))
        }
    }
}

/// Workers that require the cluster key.
@Suite(.serialized, .enabled(if: TestModel.isEnabled)) struct AuthenticationTests {
    static let key = try! ClusterKey(bytes: Array(0..<32))
    static let otherKey = try! ClusterKey(bytes: Array(1...32))

    static func keyedWorker(_ key: ClusterKey, log: @escaping @Sendable (String) -> Void = { _ in }) throws -> (WorkerServer, Int) {
        let executor = try DeviceExecutor(model: DistributedGenerationTests.model, name: "keyed", threads: 1, maxContext: 256)
        let server = WorkerServer(executor: executor, group: NIOTransportTests.group, key: key, log: log)
        return (server, try server.start(host: "127.0.0.1", port: 0))
    }

    @Test func theRightKeyServesEncryptedAndGivesTheSameTokens() throws {
        let expected = try DistributedGenerationTests.singleProcess(.f16, tokens: 12)
        let (server, port) = try Self.keyedWorker(Self.key)
        defer { server.stop() }
        let remote = RemoteDevice(
            data: try NIOConnection.connect(host: "127.0.0.1", port: port, group: NIOTransportTests.group, key: Self.key),
            bulk: try NIOConnection.connect(host: "127.0.0.1", port: port, group: NIOTransportTests.group, key: Self.key))
        defer { remote.data.close(); remote.bulk.close() }
        let layout = BlockLayout(shape: try ModelShape(gguf: DistributedGenerationTests.model.file))
        var o = DistributedGenerationTests.options(.f16, placement: Placement(blockCount: layout.count, allOn: 1))
        o.forceMigrationEvery = 4
        let local = try DeviceExecutor(model: DistributedGenerationTests.model, name: "coordinator", threads: 1, maxContext: 256)
        let c = try Coordinator(model: DistributedGenerationTests.model, local: local, remotes: [remote], options: o)
        #expect(try DistributedGenerationTests.run(c, tokens: 12).tokens == expected)
    }

    final class Lines: @unchecked Sendable {
        let lock = NSLock()
        var lines: [String] = []
        func add(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
        var all: String { lock.lock(); defer { lock.unlock() }; return lines.joined(separator: "\n") }
    }

    @Test func aWrongKeyIsRefusedAndNamedOnBothSides() throws {
        let workerLog = Lines()
        let (server, port) = try Self.keyedWorker(Self.key) { workerLog.add($0) }
        defer { server.stop() }
        do {
            _ = try NIOConnection.connect(host: "127.0.0.1", port: port, group: NIOTransportTests.group, key: Self.otherKey)
            Issue.record("a coordinator with another key was served")
        } catch {
            #expect(error.code == .refused && error.message.contains("key"), "\(error)")
        }
        usleep(200_000)
        #expect(workerLog.all.contains("key"), "worker log: \(workerLog.all)")
        // Without a key at all: the worker reads nothing but the handshake and closes.
        let plain = try NIOConnection.connect(host: "127.0.0.1", port: port, group: NIOTransportTests.group)
        try? plain.send(.hello(coordinator: "intruder", protocolVersion: 1))
        #expect(throws: RuntimeError.self) { _ = try plain.reply(timeout: 5) }
        #expect(server.device.executor.openSequences == 0)
    }
}
