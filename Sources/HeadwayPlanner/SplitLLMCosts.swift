public import HeadwayCore

/// Where one unit of a SplitLLM request runs (the paper's per-layer binary π: 1 = client, 0 = server).
public enum SplitLLMSide: String, Hashable, Sendable, Codable, CustomStringConvertible {
    case client
    case server
    public var description: String { rawValue }
    /// One letter per unit in compact renderings: `C` or `S`.
    public var letter: Character { self == .client ? "C" : "S" }
}

/// What one placeable unit (embedding, one decoder layer, or the LM head) costs over a **whole request**: the prefill
/// of the prompt plus every decode step, summed per side.
public struct SplitLLMUnitCost: Hashable, Sendable, Codable {
    public var name: String
    /// Total execution time of the unit over the request if it runs on the client.
    public var clientTime: Seconds
    /// Total execution time of the unit over the request if it runs on the (unloaded) server.
    public var serverTime: Seconds
    /// Work the server does for this unit if it runs there (the objective).
    public var serverWork: FLOPs
    /// Weights the client must hold to run this unit (checked against the optional client memory cap).
    public var clientWeights: Bytes
    public init(name: String, clientTime: Seconds, serverTime: Seconds, serverWork: FLOPs, clientWeights: Bytes = .zero) {
        self.name = name
        self.clientTime = clientTime
        self.serverTime = serverTime
        self.serverWork = serverWork
        self.clientWeights = clientWeights
    }
    public func time(on side: SplitLLMSide) -> Seconds { side == .client ? clientTime : serverTime }
}

/// One SplitLLM instance: the chain of units `0..<K` and every transfer a split can cause, each summed over the
/// request (prefill + all decode steps). This is the input of every SplitLLM strategy; `SplitLLMRequest.costs()`
/// builds it from a model shape, two devices and a link, and tests build it from random numbers.
///
/// End-to-end latency of an assignment `x` (sides of units `0..<K`):
/// ```
/// T(x) = [x₀ = S]·inputUpload + t₀(x₀)
///      + Σ_{i=1}^{K−1} ( cross_{i−1}(x_{i−1} → x_i) + t_i(x_i) )
///      + wrap(x_{K−1} → x₀) + [x_{K−1} = S]·resultDownload
/// ```
/// - `cross_i(C→S) = upload[i]`, `cross_i(S→C) = download[i]`: the activation after unit i crossing the link.
/// - `wrap`: in autoregressive decoding the token sampled by the last unit (LM head) is the next step's input to the
///   first unit (embedding); when they run on different sides it crosses once per decode step.
/// - The prompt starts at the client (`inputUpload` if unit 0 is on the server), and the final result returns to the
///   client (`resultDownload` if the last unit is on the server).
/// The sum is evaluated in exactly this order everywhere (planner, oracle, tests) so equal assignments give
/// bit-identical latencies.
public struct SplitLLMCosts: Hashable, Sendable, Codable {
    public var units: [SplitLLMUnitCost]
    /// `upload[i]`: unit i on the client, unit i+1 on the server (count K−1).
    public var upload: [Seconds]
    /// `download[i]`: unit i on the server, unit i+1 on the client (count K−1).
    public var download: [Seconds]
    /// Prompt from the client to unit 0 on the server.
    public var inputUpload: Seconds
    /// Last unit on the client, first on the server (summed over decode steps).
    public var wrapUpload: Seconds
    /// Last unit on the server, first on the client (summed over decode steps).
    public var wrapDownload: Seconds
    /// The final result from the last unit on the server back to the client.
    public var resultDownload: Seconds

    public init(
        units: [SplitLLMUnitCost], upload: [Seconds], download: [Seconds], inputUpload: Seconds,
        wrapUpload: Seconds = .zero, wrapDownload: Seconds = .zero, resultDownload: Seconds
    ) {
        self.units = units
        self.upload = upload
        self.download = download
        self.inputUpload = inputUpload
        self.wrapUpload = wrapUpload
        self.wrapDownload = wrapDownload
        self.resultDownload = resultDownload
    }

    public var count: Int { units.count }

    /// Checks shapes and values; the message names the offending field and value.
    public func validate() throws(PlannerError) {
        guard !units.isEmpty else { throw PlannerError(.invalidArgument, "SplitLLM costs: no units") }
        guard upload.count == units.count - 1, download.count == units.count - 1 else {
            throw PlannerError(.invalidArgument,
                "SplitLLM costs: \(units.count) units need \(units.count - 1) upload and download times, got "
                    + "\(upload.count) and \(download.count)")
        }
        func check(_ v: Double, _ field: String) throws(PlannerError) {
            guard v.isFinite, v >= 0 else {
                throw PlannerError(.invalidArgument, "SplitLLM costs: '\(field)' must be finite and non-negative, got \(v)")
            }
        }
        for (i, u) in units.enumerated() {
            try check(u.clientTime.value, "units[\(i)] (\(u.name)).clientTime")
            try check(u.serverTime.value, "units[\(i)] (\(u.name)).serverTime")
            try check(u.serverWork.value, "units[\(i)] (\(u.name)).serverWork")
            try check(u.clientWeights.value, "units[\(i)] (\(u.name)).clientWeights")
        }
        for i in upload.indices {
            try check(upload[i].value, "upload[\(i)]")
            try check(download[i].value, "download[\(i)]")
        }
        try check(inputUpload.value, "inputUpload")
        try check(wrapUpload.value, "wrapUpload")
        try check(wrapDownload.value, "wrapDownload")
        try check(resultDownload.value, "resultDownload")
    }

    /// Transfer time between unit i and unit i+1 for the given sides (zero when both are on the same side).
    public func crossing(after i: Int, from a: SplitLLMSide, to b: SplitLLMSide) -> Seconds {
        a == b ? .zero : (a == .client ? upload[i] : download[i])
    }

    /// Transfer time of the autoregressive wrap from the last unit (side `last`) to the first (side `first`).
    public func wrap(from last: SplitLLMSide, to first: SplitLLMSide) -> Seconds {
        last == first ? .zero : (last == .client ? wrapUpload : wrapDownload)
    }

    /// Fixed costs at the chain ends: the input upload when unit 0 runs on the server.
    public func entry(_ first: SplitLLMSide) -> Seconds { first == .server ? inputUpload : .zero }

    /// Fixed costs at the chain ends: wrap plus the result download when the last unit runs on the server.
    public func exit(first: SplitLLMSide, last: SplitLLMSide) -> Seconds {
        wrap(from: last, to: first) + (last == .server ? resultDownload : .zero)
    }

    /// End-to-end latency of `assignment` (no queueing), in the documented summation order.
    public func latency(of assignment: [SplitLLMSide]) -> Seconds {
        precondition(assignment.count == count, "assignment has \(assignment.count) sides, instance has \(count) units")
        var t = entry(assignment[0]).value + units[0].time(on: assignment[0]).value
        for i in 1..<max(count, 1) {
            t += crossing(after: i - 1, from: assignment[i - 1], to: assignment[i]).value
            t += units[i].time(on: assignment[i]).value
        }
        t += exit(first: assignment[0], last: assignment[count - 1]).value
        return Seconds(t)
    }

    /// Server work of `assignment`: the sum of `serverWork` over server-side units.
    public func serverWork(of assignment: [SplitLLMSide]) -> FLOPs {
        var w = 0.0
        for i in 0..<count where assignment[i] == .server { w += units[i].serverWork.value }
        return FLOPs(w)
    }

    /// Unloaded server busy time of `assignment`.
    public func serverTime(of assignment: [SplitLLMSide]) -> Seconds {
        var t = 0.0
        for i in 0..<count where assignment[i] == .server { t += units[i].serverTime.value }
        return Seconds(t)
    }

    /// Weights the client holds under `assignment`.
    public func clientWeights(of assignment: [SplitLLMSide]) -> Bytes {
        var b = 0.0
        for i in 0..<count where assignment[i] == .client { b += units[i].clientWeights.value }
        return Bytes(b)
    }

    /// Number of client/server switches along the chain, the wrap and the two ends included.
    public func switches(of assignment: [SplitLLMSide]) -> Int {
        var s = (assignment[0] == .server ? 1 : 0) + (assignment[count - 1] == .server ? 1 : 0)
        for i in 1..<count where assignment[i] != assignment[i - 1] { s += 1 }
        if assignment[0] != assignment[count - 1] { s += 1 }
        return s
    }

    // MARK: Discretisation (used by the time-indexed DP; public so tests can check it independently)

    /// A time rounded **up** to whole ticks of `quantum`: `⌈t/Δ⌉`. Rounding up is what makes every split the DP
    /// accepts meet the SLA: the true latency is at most (sum of ticks)·Δ ≤ Λ.
    public static func ticks(_ t: Seconds, quantum: Double) -> Int {
        if t.value <= 0 { return 0 }
        let q = (t.value / quantum).rounded(.up)
        return q >= Double(Int.max / 4) ? Int.max / 4 : Int(q)
    }

    /// Latency of `assignment` in ticks: every component rounded up separately, then summed.
    public func latencyTicks(of assignment: [SplitLLMSide], quantum: Double) -> Int {
        func t(_ s: Seconds) -> Int { SplitLLMCosts.ticks(s, quantum: quantum) }
        var total = t(entry(assignment[0])) + t(units[0].time(on: assignment[0]))
        for i in 1..<max(count, 1) {
            total += t(crossing(after: i - 1, from: assignment[i - 1], to: assignment[i]))
            total += t(units[i].time(on: assignment[i]))
        }
        let first = assignment[0], last = assignment[count - 1]
        total += t(wrap(from: last, to: first)) + (last == .server ? t(resultDownload) : 0)
        return total
    }
}

extension Array where Element == SplitLLMSide {
    /// Compact rendering, e.g. `CCSSSC`.
    public var splitLLMPattern: String { String(map(\.letter)) }
}
