import HeadwayCore

/// The exact SplitLLM oracle: a Pareto-label DP over (latency, server work[, client memory]) per (unit, side), with no
/// rounding. A label is one partial split of units 0…i; a label is dropped when another at the same (i, side) is no
/// worse in every coordinate. Labels whose latency already exceeds Λ (or whose client weights exceed the cap) are
/// dropped too, since every cost is non-negative. The answer is the least-work complete split with latency ≤ Λ.
///
/// Latencies are accumulated in the order `SplitLLMCosts.latency(of:)` uses, so the oracle and the evaluator agree
/// to the bit. Worst case the label count grows with the number of distinct (latency, work) pairs; in practice it
/// stays small (identical decoder layers collapse), and the tests use it against brute force on L ≤ 12.
enum SplitLLMParetoDP {
    struct Label {
        var latency: Double
        var work: Double
        var memory: Double
        /// Index of the parent label in the previous unit's list for side `parentSide`.
        var parent: Int
        var parentSide: Int
    }

    static func solve(_ c: SplitLLMCosts, sla: Seconds, memoryCap: Bytes?) -> [SplitLLMSide]? {
        let k = c.count
        let limit = sla.value
        let cap = memoryCap?.value ?? .infinity
        let sides: [SplitLLMSide] = [.client, .server]
        var best = Double.infinity
        var bestAssignment: [SplitLLMSide]? = nil
        for first in sides {
            var layers: [[[Label]]] = []  // layers[i][side]
            var start: [[Label]] = [[], []]
            let f = first == .client ? 0 : 1
            let l0 = Label(
                latency: c.entry(first).value + c.units[0].time(on: first).value,
                work: first == .server ? c.units[0].serverWork.value : 0,
                memory: first == .client ? c.units[0].clientWeights.value : 0, parent: -1, parentSide: -1)
            if l0.latency <= limit && l0.memory <= cap { start[f] = [l0] }
            layers.append(start)
            for i in 1..<max(k, 1) {
                var next: [[Label]] = [[], []]
                for x in 0..<2 {
                    let side = sides[x]
                    let unit = c.units[i]
                    var candidates: [Label] = []
                    for p in 0..<2 {
                        let cross = c.crossing(after: i - 1, from: sides[p], to: side).value
                        for (j, label) in layers[i - 1][p].enumerated() {
                            let latency = label.latency + cross + unit.time(on: side).value
                            let memory = label.memory + (side == .client ? unit.clientWeights.value : 0)
                            guard latency <= limit, memory <= cap else { continue }
                            candidates.append(Label(
                                latency: latency, work: label.work + (side == .server ? unit.serverWork.value : 0),
                                memory: memory, parent: j, parentSide: p))
                        }
                    }
                    next[x] = paretoFront(candidates, withMemory: memoryCap != nil)
                }
                layers.append(next)
            }
            for x in 0..<2 {
                let last = sides[x]
                let exit = c.exit(first: first, last: last).value
                for (j, label) in layers[k - 1][x].enumerated() where label.latency + exit <= limit && label.work < best {
                    best = label.work
                    var assignment = Array(repeating: SplitLLMSide.client, count: k)
                    var side = x, index = j
                    var i = k - 1
                    while i >= 0 {
                        assignment[i] = sides[side]
                        let l = layers[i][side][index]
                        side = l.parentSide
                        index = l.parent
                        i -= 1
                    }
                    bestAssignment = assignment
                }
            }
        }
        return bestAssignment
    }

    /// Labels not dominated by another (ties keep the first after sorting).
    static func paretoFront(_ labels: [Label], withMemory: Bool) -> [Label] {
        let sorted = labels.sorted {
            ($0.latency, $0.work, $0.memory) < ($1.latency, $1.work, $1.memory)
        }
        var front: [Label] = []
        if !withMemory {
            var leastWork = Double.infinity
            for l in sorted where l.work < leastWork {
                front.append(l)
                leastWork = l.work
            }
            return front
        }
        for l in sorted where !front.contains(where: { $0.work <= l.work && $0.memory <= l.memory }) {
            front.append(l)
        }
        return front
    }
}
