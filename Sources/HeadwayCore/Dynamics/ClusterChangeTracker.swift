/// Watches the cluster token by token and estimates how long it stays put: a **change** is a device leaving or
/// joining, or a device's compute, memory or memory bandwidth, or a link's bandwidth, moving by more than `factor`
/// (either way) from its value at the last change. Small drifts do not count; a 10x slowdown, a departure or a
/// per-token resampling of link bandwidth does.
///
/// `tokensPerChange` = tokens observed / (changes + 1): the mean time between changes with the time since the last
/// one counted as an unfinished interval (a rate estimate with one pseudo-change, so a calm history grows the
/// estimate and a first change does not make it zero). The controller can keep one while generating; the simulator
/// does, and passes the estimate to planners.
public struct ClusterChangeTracker: Sendable {
    public var factor: Double
    public private(set) var observed = 0
    public private(set) var changes = 0
    public private(set) var lastChange: Int?
    private var reference: ClusterState?

    public init(factor: Double = 3) {
        precondition(factor > 1, "a change factor must be > 1")
        self.factor = factor
    }

    /// Records the state in force at the next token; returns whether it is a change.
    @discardableResult
    public mutating func observe(_ state: ClusterState) -> Bool {
        defer { observed += 1 }
        guard let ref = reference else {
            reference = state
            return false
        }
        if differs(ref, state) {
            changes += 1
            lastChange = observed
            reference = state
            return true
        }
        return false
    }

    /// Expected tokens until the next change, from the history so far (>= 1).
    public var tokensPerChange: Double { max(1, Double(observed) / Double(changes + 1)) }

    private func differs(_ a: ClusterState, _ b: ClusterState) -> Bool {
        if a.online != b.online { return true }
        func far(_ x: Double, _ y: Double) -> Bool {
            if x == y { return false }
            if x <= 0 || y <= 0 { return true }
            return max(x / y, y / x) > factor
        }
        for i in 0..<a.count {
            if far(a.compute[i].value, b.compute[i].value) || far(a.memory[i].value, b.memory[i].value)
                || far(a.memoryBandwidth[i].value, b.memoryBandwidth[i].value)
            {
                return true
            }
        }
        for k in a.linkBandwidth.indices where far(a.linkBandwidth[k].value, b.linkBandwidth[k].value) { return true }
        return false
    }
}
