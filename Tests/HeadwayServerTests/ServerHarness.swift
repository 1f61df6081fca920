import Foundation
import HeadwayEngine
import HeadwayServer
import HeadwayTestSupport

/// A `HTTPServer` over a `LocalBackend` on the real model, listening on a free loopback port.
final class RunningServer: Sendable {
    let port: Int
    let backend: LocalBackend
    private let task: Task<Void, any Error>

    private init(port: Int, backend: LocalBackend, task: Task<Void, any Error>) {
        self.port = port
        self.backend = backend
        self.task = task
    }

    static func start(context: Int = 2048, parallel: Int = 16, memoryBytes: Int? = nil) async throws -> RunningServer {
        let backend = try LocalBackend(modelPath: try TestModel.requiredPath(), threads: 2, contextLength: context,
                                       maxActiveSequences: parallel, memoryBytes: memoryBytes)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = HTTPServer(backend: backend).application(host: "127.0.0.1", port: 0) { continuation.yield($0) }
        let task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestConnection.Failure(description: "server did not start") }
        return RunningServer(port: port, backend: backend, task: task)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}
