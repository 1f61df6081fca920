public import HeadwayCore
public import HeadwayPlanner

/// The SLA of a request type: a factor of the request's server-only latency (e.g. 1.5 = 50 % slack), or an absolute
/// bound. Exactly one of the two is set.
public struct SplitLLMSLA: Hashable, Sendable, Codable {
    public var factor: Double?
    public var seconds: Double?
    public init(factor: Double?, seconds: Double?) {
        self.factor = factor
        self.seconds = seconds
    }
    public static func factor(_ f: Double) -> SplitLLMSLA { SplitLLMSLA(factor: f, seconds: nil) }
    public static func absolute(_ s: Seconds) -> SplitLLMSLA { SplitLLMSLA(factor: nil, seconds: s.value) }

    /// Λ for a request whose server-only latency is `serverOnly`.
    public func bound(serverOnly: Seconds) -> Seconds {
        if let f = factor { return serverOnly * f }
        return Seconds(seconds ?? 0)
    }

    func validate(_ owner: String) throws(PlannerError) {
        switch (factor, seconds) {
        case (let f?, nil) where f > 0 && f.isFinite: return
        case (nil, let s?) where s > 0 && s.isFinite: return
        default:
            throw PlannerError(.invalidArgument,
                "\(owner): SLA needs exactly one positive 'factor' or 'seconds', got factor \(String(describing: factor)), "
                    + "seconds \(String(describing: seconds))")
        }
    }
}

/// One kind of request in the mix.
public struct SplitLLMRequestType: Hashable, Sendable, Codable {
    public var name: String
    /// Model preset name (`ModelShape.preset(named:)`).
    public var model: String
    public var promptLength: Int
    public var outputLength: Int
    public var sla: SplitLLMSLA
    /// Relative frequency in the mix.
    public var weight: Double
    public init(name: String, model: String, promptLength: Int, outputLength: Int, sla: SplitLLMSLA, weight: Double = 1) {
        self.name = name
        self.model = model
        self.promptLength = promptLength
        self.outputLength = outputLength
        self.sla = sla
        self.weight = weight
    }
}

/// One kind of client device with its link to the server.
public struct SplitLLMClientClass: Hashable, Sendable, Codable {
    public var name: String
    /// Compute, memory bandwidth and (optional) memory available for weights: the planners' client memory cap.
    public var device: SplitLLMDevice
    public var link: SplitLLMLink
    /// Relative frequency among arriving requests.
    public var weight: Double
    public init(name: String, device: SplitLLMDevice, link: SplitLLMLink, weight: Double = 1) {
        self.name = name
        self.device = device
        self.link = link
        self.weight = weight
    }
}

/// The SplitLLM server-side simulation setup.
public struct SplitLLMSimulationConfiguration: Hashable, Sendable, Codable {
    public var requestTypes: [SplitLLMRequestType]
    public var clientClasses: [SplitLLMClientClass]
    /// The server. Its `compute` is both the unloaded per-request speed limit and the capacity shared by all requests.
    public var server: SplitLLMDevice
    /// Poisson arrival rate (requests per second).
    public var arrivalRate: Double
    /// Requests per run.
    public var requestCount: Int
    public var seed: UInt64
    /// Resolution of the DP (`SplitLLMPlanner.timeSteps`).
    public var timeSteps: Int

    public init(
        requestTypes: [SplitLLMRequestType], clientClasses: [SplitLLMClientClass], server: SplitLLMDevice,
        arrivalRate: Double, requestCount: Int, seed: UInt64, timeSteps: Int = 4000
    ) {
        self.requestTypes = requestTypes
        self.clientClasses = clientClasses
        self.server = server
        self.arrivalRate = arrivalRate
        self.requestCount = requestCount
        self.seed = seed
        self.timeSteps = timeSteps
    }

    /// Checks the configuration; messages name the field and value.
    public func validate() throws(PlannerError) {
        guard !requestTypes.isEmpty else { throw PlannerError(.invalidArgument, "SplitLLM simulation: no request types") }
        guard !clientClasses.isEmpty else { throw PlannerError(.invalidArgument, "SplitLLM simulation: no client classes") }
        guard arrivalRate > 0, arrivalRate.isFinite else {
            throw PlannerError(.invalidArgument, "SplitLLM simulation: arrival rate must be positive, got \(arrivalRate)")
        }
        guard requestCount > 0 else {
            throw PlannerError(.invalidArgument, "SplitLLM simulation: request count must be positive, got \(requestCount)")
        }
        for t in requestTypes {
            guard t.weight > 0, t.weight.isFinite else {
                throw PlannerError(.invalidArgument, "SplitLLM request type '\(t.name)': weight must be positive, got \(t.weight)")
            }
            try t.sla.validate("SplitLLM request type '\(t.name)'")
            do { _ = try ModelShape.preset(named: t.model) } catch {
                throw PlannerError(.invalidArgument, "SplitLLM request type '\(t.name)': \(error)")
            }
        }
        for c in clientClasses where !(c.weight > 0 && c.weight.isFinite) {
            throw PlannerError(.invalidArgument, "SplitLLM client class '\(c.name)': weight must be positive, got \(c.weight)")
        }
    }

    /// The request of type `t` from client class `c`, with its absolute SLA resolved.
    public func request(type t: Int, client c: Int) throws(PlannerError) -> SplitLLMRequest {
        let type = requestTypes[t]
        let shape: ModelShape
        do { shape = try ModelShape.preset(named: type.model) } catch {
            throw PlannerError(.invalidArgument, "SplitLLM request type '\(type.name)': \(error)")
        }
        var r = SplitLLMRequest(
            shape: shape, promptLength: type.promptLength, outputLength: type.outputLength,
            client: clientClasses[c].device, server: server, link: clientClasses[c].link, sla: Seconds(1))
        r.sla = type.sla.bound(serverOnly: try r.serverOnlyLatency())
        return r
    }

    /// Probability of (type t, client c) in the mix.
    public func probability(type t: Int, client c: Int) -> Double {
        let tw = requestTypes.reduce(0.0) { $0 + $1.weight }
        let cw = clientClasses.reduce(0.0) { $0 + $1.weight }
        return requestTypes[t].weight / tw * clientClasses[c].weight / cw
    }
}
