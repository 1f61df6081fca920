/// Finds OpenAI `stop` strings in streamed text. Text that could still be the start of a stop string is held back
/// until the next piece decides it, so a client never receives any part of a stop string.
public struct StopMatcher: Sendable {
    public let stops: [String]
    private var held = ""

    public init(_ stops: [String]) { self.stops = stops.filter { !$0.isEmpty } }

    /// Adds `piece`; returns the text that can be sent now and whether a stop string was reached (the text before it
    /// is returned, the stop string and everything after it are not).
    public mutating func feed(_ piece: String) -> (text: String, stopped: Bool) {
        held += piece
        guard !stops.isEmpty else { return (flush(), false) }
        var earliest: Range<String.Index>?
        for s in stops {
            if let r = held.range(of: s), earliest == nil || r.lowerBound < earliest!.lowerBound { earliest = r }
        }
        if let earliest {
            let text = String(held[..<earliest.lowerBound])
            held = ""
            return (text, true)
        }
        var keep = 0
        for s in stops {
            for k in stride(from: min(s.count - 1, held.count), to: 0, by: -1) where held.hasSuffix(s.prefix(k)) {
                keep = max(keep, k)
                break
            }
        }
        let text = String(held.dropLast(keep))
        held = String(held.suffix(keep))
        return (text, false)
    }

    /// Whatever is held back (at the end of generation).
    public mutating func flush() -> String {
        defer { held = "" }
        return held
    }
}
