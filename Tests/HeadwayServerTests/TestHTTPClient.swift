#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A small blocking HTTP/1.1 client over a socket, for tests: it can read a streamed (chunked) body piece by piece
/// and hang up in the middle, which the tests of disconnects need. Used from its own threads (`offPool`).
final class TestConnection {
    struct Failure: Error, CustomStringConvertible { var description: String }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var status = 0
    private(set) var headers: [String: String] = [:]
    private var chunked = false
    private var remaining: Int?  // content-length left
    private var ended = false

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            Glibc.close(fd)
            throw Failure(description: "connect to 127.0.0.1:\(port): errno \(errno)")
        }
    }

    deinit { Glibc.close(fd) }

    /// Closes the connection now (a client going away).
    func hangUp() { shutdown(fd, Int32(SHUT_RDWR)) }

    func send(_ method: String, _ path: String, body: Data? = nil) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        var bytes = Array((head + "\r\n").utf8)
        if let body { bytes += body }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            sent += n
        }
        try readHead()
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16384)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw Failure(description: "recv: errno \(errno)") }
        if n == 0 { return false }
        buffer += chunk[..<n]
        return true
    }

    private func line() throws -> String {
        while true {
            if let i = buffer.firstIndex(of: 10) {
                let l = String(decoding: buffer[..<i], as: UTF8.self).trimmingCharacters(in: .init(charactersIn: "\r"))
                buffer.removeFirst(i + 1)
                return l
            }
            guard try fill() else { throw Failure(description: "connection closed in a header line") }
        }
    }

    private func readHead() throws {
        let statusLine = try line()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let code = Int(parts[1]) else { throw Failure(description: "bad status line '\(statusLine)'") }
        status = code
        while true {
            let l = try line()
            if l.isEmpty { break }
            if let colon = l.firstIndex(of: ":") {
                headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        chunked = headers["transfer-encoding"]?.lowercased() == "chunked"
        remaining = headers["content-length"].flatMap { Int($0) }
    }

    /// The next piece of the body as it arrives; nil at its end.
    func nextPiece() throws -> [UInt8]? {
        if ended { return nil }
        if chunked {
            let sizeLine = try line()
            guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else { throw Failure(description: "bad chunk size '\(sizeLine)'") }
            if size == 0 {
                ended = true
                return nil
            }
            while buffer.count < size + 2 { guard try fill() else { throw Failure(description: "closed inside a chunk") } }
            let piece = Array(buffer[..<size])
            buffer.removeFirst(size + 2)
            return piece
        }
        if let left = remaining {
            if left == 0 { ended = true; return nil }
            if buffer.isEmpty { guard try fill() else { throw Failure(description: "closed before content-length") } }
            let n = min(left, buffer.count)
            let piece = Array(buffer[..<n])
            buffer.removeFirst(n)
            remaining = left - n
            return piece
        }
        if buffer.isEmpty, try !fill() { ended = true; return nil }
        defer { buffer.removeAll() }
        return buffer
    }

    func readBody() throws -> Data {
        var all = Data()
        while let p = try nextPiece() { all.append(contentsOf: p) }
        return all
    }
}

/// Reads server-sent events from a connection: each `data:` payload.
struct SSEReader {
    let connection: TestConnection
    private var text = ""

    init(_ connection: TestConnection) { self.connection = connection }

    mutating func next() throws -> String? {
        while true {
            if let r = text.range(of: "\n\n") {
                let event = String(text[..<r.lowerBound])
                text.removeSubrange(..<r.upperBound)
                if event.hasPrefix("data: ") { return String(event.dropFirst(6)) }
                continue
            }
            guard let piece = try connection.nextPiece() else { return nil }
            text += String(decoding: piece, as: UTF8.self)
        }
    }
}

/// Runs blocking work on a thread of its own, off Swift concurrency's small pool.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

struct HTTPReply: Sendable {
    var status: Int
    var body: Data
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// One request, whole reply.
func request(_ port: Int, _ method: String, _ path: String, json: Any? = nil, raw: String? = nil) async throws -> HTTPReply {
    let body: Data? = try raw.map { Data($0.utf8) } ?? json.map { try JSONSerialization.data(withJSONObject: $0) }
    return try await offPool {
        let c = try TestConnection(port: port)
        try c.send(method, path, body: body)
        return HTTPReply(status: c.status, body: try c.readBody())
    }
}

/// A streamed chat completion: the concatenated deltas, the finish reason and the tokens of the last chunk.
struct StreamedChat: Sendable {
    var text = ""
    var finishReason: String?
    var tokens: [Int] = []
    var events = 0
}

func streamChat(_ port: Int, _ body: [String: Any]) async throws -> StreamedChat {
    var body = body
    body["stream"] = true
    return try await streamChat(port, data: try JSONSerialization.data(withJSONObject: body))
}

func streamChat(_ port: Int, data: Data) async throws -> StreamedChat {
    try await offPool {
        let c = try TestConnection(port: port)
        try c.send("POST", "/v1/chat/completions", body: data)
        guard c.status == 200 else { throw TestConnection.Failure(description: "status \(c.status): \(String(decoding: try c.readBody(), as: UTF8.self))") }
        var reader = SSEReader(c)
        var out = StreamedChat()
        var done = false
        while let event = try reader.next() {
            out.events += 1
            if event == "[DONE]" { done = true; break }
            let j = try JSONSerialization.jsonObject(with: Data(event.utf8)) as! [String: Any]
            guard let choice = (j["choices"] as? [[String: Any]])?.first else { continue }
            if let delta = choice["delta"] as? [String: Any], let t = delta["content"] as? String { out.text += t }
            if let f = choice["finish_reason"] as? String { out.finishReason = f }
            if let t = choice["tokens"] as? [Int] { out.tokens = t }
        }
        guard done else { throw TestConnection.Failure(description: "stream ended without [DONE]") }
        return out
    }
}
