// Replay of measured resource traces (CSV). A row sets the value of its device or link from its token on; the value
// holds until the next row for the same device or link. Before a device's or link's first row the generated values
// (nominal after the other fluctuation components) apply; from its first row on the trace replaces them, i.e. the
// trace gives what is AVAILABLE to Headway, and background load and link fluctuation no longer apply to it.
// Rows may come in any order; two rows for the same device (or link) and token are an error.

/// One row of a device trace.
public struct DeviceTraceRow: Codable, Sendable, Hashable {
    public var token: Int
    public var device: String
    /// Available memory in GB (1 GB = 1024³ bytes).
    public var memoryGB: Double
    /// Available compute in GFLOP/s (1e9 FLOP/s).
    public var computeGFLOPs: Double
    /// Available memory bandwidth in GB/s (1 GB = 1024³ bytes); nil keeps the previous value.
    public var memoryBandwidthGBps: Double?
    /// Presence; nil keeps the previous value (initially present).
    public var online: Bool?
    /// Source line, for error messages (0 when built in code).
    public var line: Int

    public init(token: Int, device: String, memoryGB: Double, computeGFLOPs: Double,
                memoryBandwidthGBps: Double? = nil, online: Bool? = nil, line: Int = 0) {
        self.token = token
        self.device = device
        self.memoryGB = memoryGB
        self.computeGFLOPs = computeGFLOPs
        self.memoryBandwidthGBps = memoryBandwidthGBps
        self.online = online
        self.line = line
    }
}

/// A device trace: CSV columns `token,device,memory_gb,compute_gflops[,memory_bandwidth_gbs][,online]`
/// (any order; `online` is 1/0/true/false). An empty cell in an optional column keeps the previous value.
public struct DeviceTrace: Codable, Sendable, Hashable {
    /// File name used in error messages.
    public var source: String
    public var rows: [DeviceTraceRow]

    public init(source: String, rows: [DeviceTraceRow]) {
        self.source = source
        self.rows = rows
    }

    /// Parses CSV text. `source` names the file in errors, e.g. "trace.csv:17: column 'compute_gflops' is not a
    /// number: 'abc'". Device ids are checked against the cluster when the timeline is built.
    public init(csv text: String, source: String) throws {
        let table = try CSVTable(text: text, source: source)
        let token = try table.require("token")
        let device = try table.require("device")
        let memory = try table.require("memory_gb")
        let compute = try table.require("compute_gflops")
        let bandwidth = table.optional("memory_bandwidth_gbs")
        let online = table.optional("online")
        var rows: [DeviceTraceRow] = []
        rows.reserveCapacity(table.rows.count)
        for (line, f) in table.rows {
            rows.append(DeviceTraceRow(
                token: try table.token(f, token, line: line), device: try table.name(f, device, line: line),
                memoryGB: try table.nonNegative(f, memory, line: line),
                computeGFLOPs: try table.nonNegative(f, compute, line: line),
                memoryBandwidthGBps: try bandwidth.flatMap { f[$0].isEmpty ? nil : try table.nonNegative(f, $0, line: line) },
                online: try online.flatMap { f[$0].isEmpty ? nil : try table.bool(f, $0, line: line) }, line: line))
        }
        self.init(source: source, rows: rows)
    }

    /// Rows grouped by device index, each group sorted by token.
    /// - Throws: for unknown device ids, negative values and duplicate (device, token) rows, naming the line.
    func rowsByDevice(_ cluster: Cluster) throws -> [[DeviceTraceRow]] {
        let index = Dictionary(uniqueKeysWithValues: cluster.devices.enumerated().map { ($1.id, $0) })
        var groups = Array(repeating: [DeviceTraceRow](), count: cluster.count)
        for r in rows {
            let at = "\(source):\(r.line)"
            guard let i = index[r.device] else {
                throw CoreError(.unknownName, "\(at): column 'device': unknown device '\(r.device)'")
            }
            for (name, v) in [("token", Double(r.token)), ("memory_gb", r.memoryGB), ("compute_gflops", r.computeGFLOPs),
                              ("memory_bandwidth_gbs", r.memoryBandwidthGBps ?? 0)] where !(v >= 0 && v.isFinite) {
                throw CoreError(.invalidValue, "\(at): column '\(name)' must be >= 0, got \(v)")
            }
            groups[i].append(r)
        }
        for i in groups.indices {
            groups[i].sort { $0.token < $1.token }
            for (a, b) in zip(groups[i], groups[i].dropFirst()) where a.token == b.token {
                throw CoreError(.inconsistent,
                    "\(source):\(b.line): device '\(b.device)' already has a row for token \(b.token) (line \(a.line))")
            }
        }
        return groups
    }
}

/// One row of a link trace.
public struct LinkTraceRow: Codable, Sendable, Hashable {
    public var token: Int
    /// One endpoint's device id (order of a and b does not matter).
    public var a: String
    public var b: String
    /// Bandwidth in Gbit/s (1e9 bits/s = 1.25e8 bytes/s).
    public var bandwidthGbps: Double
    /// One-way latency in milliseconds; nil keeps the previous value (initially the link's nominal latency).
    public var latencyMs: Double?
    /// Source line, for error messages (0 when built in code).
    public var line: Int

    public init(token: Int, a: String, b: String, bandwidthGbps: Double, latencyMs: Double? = nil, line: Int = 0) {
        self.token = token
        self.a = a
        self.b = b
        self.bandwidthGbps = bandwidthGbps
        self.latencyMs = latencyMs
        self.line = line
    }
}

/// A link trace: CSV columns `token,a,b,bandwidth_gbps[,latency_ms]` (any order). Each row names an existing link.
/// An empty `latency_ms` cell keeps the previous latency.
public struct LinkTrace: Codable, Sendable, Hashable {
    public var source: String
    public var rows: [LinkTraceRow]

    public init(source: String, rows: [LinkTraceRow]) {
        self.source = source
        self.rows = rows
    }

    public init(csv text: String, source: String) throws {
        let table = try CSVTable(text: text, source: source)
        let token = try table.require("token")
        let a = try table.require("a")
        let b = try table.require("b")
        let bandwidth = try table.require("bandwidth_gbps")
        let latency = table.optional("latency_ms")
        var rows: [LinkTraceRow] = []
        rows.reserveCapacity(table.rows.count)
        for (line, f) in table.rows {
            rows.append(LinkTraceRow(
                token: try table.token(f, token, line: line), a: try table.name(f, a, line: line),
                b: try table.name(f, b, line: line), bandwidthGbps: try table.nonNegative(f, bandwidth, line: line),
                latencyMs: try latency.flatMap { f[$0].isEmpty ? nil : try table.nonNegative(f, $0, line: line) },
                line: line))
        }
        self.init(source: source, rows: rows)
    }

    /// Rows grouped by index into `cluster.links`, each group sorted by token.
    /// - Throws: for unknown devices, pairs without a direct link, negative values and duplicate rows.
    func rowsByLink(_ cluster: Cluster) throws -> [[LinkTraceRow]] {
        let index = Dictionary(uniqueKeysWithValues: cluster.devices.enumerated().map { ($1.id, $0) })
        var linkIndex: [Int: Int] = [:]
        let n = cluster.count
        for (k, l) in cluster.links.enumerated() {
            let i = index[l.a]!, j = index[l.b]!
            linkIndex[min(i, j) * n + max(i, j)] = k
        }
        var groups = Array(repeating: [LinkTraceRow](), count: cluster.links.count)
        for r in rows {
            let at = "\(source):\(r.line)"
            guard let i = index[r.a] else { throw CoreError(.unknownName, "\(at): column 'a': unknown device '\(r.a)'") }
            guard let j = index[r.b] else { throw CoreError(.unknownName, "\(at): column 'b': unknown device '\(r.b)'") }
            guard let k = linkIndex[min(i, j) * n + max(i, j)] else {
                throw CoreError(.unknownName, "\(at): no link between '\(r.a)' and '\(r.b)' in the cluster")
            }
            for (name, v) in [("token", Double(r.token)), ("bandwidth_gbps", r.bandwidthGbps),
                              ("latency_ms", r.latencyMs ?? 0)] where !(v >= 0 && v.isFinite) {
                throw CoreError(.invalidValue, "\(at): column '\(name)' must be >= 0, got \(v)")
            }
            groups[k].append(r)
        }
        for k in groups.indices {
            groups[k].sort { $0.token < $1.token }
            for (x, y) in zip(groups[k], groups[k].dropFirst()) where x.token == y.token {
                throw CoreError(.inconsistent,
                    "\(source):\(y.line): link '\(y.a)'-'\(y.b)' already has a row for token \(y.token) (line \(x.line))")
            }
        }
        return groups
    }
}
