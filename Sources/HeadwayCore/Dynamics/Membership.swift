// Devices leaving and joining: explicit events and random churn. The controller never leaves.

/// A scheduled change of one device's presence.
public struct MembershipEvent: Codable, Sendable, Hashable {
    public enum Change: String, Codable, Sendable, Hashable {
        case leave
        case join
    }
    /// First token at which the change is in effect (>= 0).
    public var token: Int
    /// Device id as in the cluster (e.g. "device_3").
    public var device: String
    public var event: Change

    public init(token: Int, device: String, event: Change) {
        self.token = token
        self.device = device
        self.event = event
    }
}

/// Random churn: each online device other than the controller leaves at a token with probability
/// `leaveProbability`, stays away for a random number of tokens, then rejoins.
public struct Churn: Codable, Sendable, Hashable {
    /// Probability in [0, 1] that an online device leaves at a given token.
    public var leaveProbability: Double
    /// Mean time away, in tokens (>= 1). The time away is geometric on {1, 2, ...} with this mean, i.e. at each
    /// offline token the device comes back with probability 1/meanOfflineTokens.
    public var meanOfflineTokens: Double
    /// Devices that never churn (the controller is always exempt).
    public var exempt: [String]

    public init(leaveProbability: Double, meanOfflineTokens: Double, exempt: [String] = []) {
        self.leaveProbability = leaveProbability
        self.meanOfflineTokens = meanOfflineTokens
        self.exempt = exempt
    }

    func validate(_ field: String) throws {
        guard leaveProbability >= 0, leaveProbability <= 1 else {
            throw CoreError(.invalidValue, "\(field): field 'leave_probability' must be in [0, 1], got \(leaveProbability)")
        }
        guard meanOfflineTokens >= 1, meanOfflineTokens.isFinite else {
            throw CoreError(.invalidValue, "\(field): field 'mean_offline_tokens' must be >= 1, got \(meanOfflineTokens)")
        }
    }

    /// Writes churn presence for `tokens` tokens into `out[offset + t·stride]` (true = present). Starts present.
    func generate(tokens: Int, rng: inout SeededGenerator, into out: inout [Bool], offset: Int, stride: Int) {
        let rejoin = 1 / meanOfflineTokens
        var present = true
        for t in 0..<tokens {
            if present {
                if rng.bernoulli(leaveProbability) { present = false }
            } else if rng.bernoulli(rejoin) {
                present = true
            }
            out[offset + t * stride] = present
        }
    }
}

extension MembershipEvent {
    /// Presence from explicit events for one device over `tokens` tokens, into `out[offset + t·stride]`.
    /// A device whose earliest event is a `join` is absent before it (it joins the cluster later); otherwise it is
    /// present from token 0. Events are applied in token order; for equal tokens, the later in the list wins.
    static func presence(_ events: [MembershipEvent], tokens: Int, into out: inout [Bool], offset: Int, stride: Int) {
        let sorted = events.enumerated().sorted { ($0.element.token, $0.offset) < ($1.element.token, $1.offset) }
            .map(\.element)
        var present = sorted.first?.event != .join
        var next = 0
        for t in 0..<tokens {
            while next < sorted.count && sorted[next].token <= t {
                present = sorted[next].event == .join
                next += 1
            }
            out[offset + t * stride] = present
        }
    }
}
