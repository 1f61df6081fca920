import Foundation

/// llama.cpp's own C++ benchmark (`llama-bench`, built by scripts/build-llamacpp.sh) as a reference: one measured
/// run (`-r 1`, after llama-bench's own warm-up) per call, so callers can interleave it with their own runs.
struct LlamaBench {
    /// The `llama-bench` executable.
    var binary: String
    var model: String
    var threads: Int
    /// `-fa`: on, off or auto.
    var flashAttention = "auto"

    /// The llama.cpp version scripts/build-llamacpp.sh recorded in `dir`/VERSION.
    static func version(dir: String) -> String {
        (try? String(contentsOfFile: "\(dir)/VERSION", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
    }

    /// Tokens per second of one run: a `prompt`-token prefill in one batch (`generate == 0`), or `generate` tokens
    /// decoded one by one after `depth` positions already in the context. With `rpc` (HOST:PORT of `rpc-server`s),
    /// every layer is offloaded (`-ngl 99`) and llama.cpp splits the layers over the servers (its default split).
    func tokensPerSecond(prompt: Int, generate: Int, depth: Int = 0, rpc: [String] = []) throws -> Double {
        var arguments = ["-m", model, "-t", String(threads), "-p", String(prompt), "-n", String(generate),
                         "-r", "1", "-fa", flashAttention, "-o", "json"]
        if depth > 0 { arguments += ["-d", String(depth)] }
        if !rpc.isEmpty { arguments += ["-rpc", rpc.joined(separator: ","), "-ngl", "99"] }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
              let rows = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
              let row = rows.first, let speed = (row["samples_ts"] as? [Double])?.first ?? row["avg_ts"] as? Double
        else {
            throw CLIError(description: "\(binary) \(arguments.joined(separator: " ")) failed (exit \(p.terminationStatus)): \(String(decoding: errors.suffix(400), as: UTF8.self))")
        }
        return speed
    }
}

/// llama.cpp RPC servers on loopback (`rpc-server -H 127.0.0.1 -p PORT -t THREADS`), one per emulated worker, for
/// comparing the runtime with llama.cpp's own distributed backend on the same machine. Stopped by `shutdown` (and by
/// Ctrl-C, with the local workers).
final class LlamaCppRPCServers {
    private(set) var processes: [Process] = []
    private(set) var addresses: [String] = []

    /// Starts `count` servers of `threads` threads each and waits until each accepts connections.
    init(binary: String, count: Int, threads: Int) throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw CLIError(description: "\(binary) not found: build it with scripts/build-llamacpp.sh")
        }
        WorkerCluster.installSignalHandlers()
        do {
            for _ in 0..<count {
                let port = try Self.freePort()
                let p = Process()
                p.executableURL = URL(fileURLWithPath: binary)
                p.arguments = ["-H", "127.0.0.1", "-p", String(port), "-t", String(threads)]
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                processes.append(p)
                WorkerCluster.live.append(p)
                addresses.append("127.0.0.1:\(port)")
                try Self.waitUntilListening(port: port, process: p, binary: binary)
            }
        } catch {
            shutdown()
            throw error
        }
    }

    func shutdown() {
        for p in processes where p.isRunning { p.terminate() }
        for p in processes { p.waitUntilExit() }
        WorkerCluster.live.removeAll { p in processes.contains { $0 === p } }
        processes = []
    }

    deinit { shutdown() }

    /// A port the kernel reports free on 127.0.0.1 (bound to port 0, then released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CLIError(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CLIError(description: "cannot find a free loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func loopback(port: Int) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = UInt16(port).bigEndian
        a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return a
    }

    /// Polls until `port` accepts a TCP connection (10 s at most), failing early if the server exited.
    static func waitUntilListening(port: Int, process: Process, binary: String) throws {
        let deadline = Date(timeIntervalSinceNow: 10)
        while Date() < deadline {
            guard process.isRunning else {
                throw CLIError(description: "\(binary) -p \(port) exited with status \(process.terminationStatus) before listening")
            }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopback(port: port)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(fd)
            if connected { return }
            usleep(20_000)
        }
        throw CLIError(description: "\(binary) did not listen on 127.0.0.1:\(port) within 10 s")
    }
}
