import Foundation

/// Minimal SVG charts for HTML reports: line charts over a shared x axis and horizontal bar charts.
/// Axes carry tick labels and units so the plots can be read without the data.
public enum SVGChart {
    public struct Series: Sendable {
        public var name: String
        public var values: [Double]
        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"]

    /// A vertical line across a chart at index `x` (an event), labelled.
    public struct Marker: Sendable {
        public var x: Int
        public var label: String
        public var color: String
        public init(x: Int, label: String, color: String = "#555") {
            self.x = x
            self.label = label
            self.color = color
        }
    }

    /// A line chart; non-finite values leave gaps. `xLabel`/`yLabel` name the axes with units. On a log axis (`logY`)
    /// ticks sit on decades (and 2, 5 between them when the range is short) with plain labels. `failures[s]` lists the
    /// indices where series s could not run a step (drawn as × in its colour in a strip above the plot, so a failed
    /// step never silently vanishes); `restarts[s]` the indices where it restarted (drawn as ▲ on its line); `events`
    /// are vertical dashed lines with their labels.
    public static func lines(
        title: String, series: [Series], xLabel: String, yLabel: String, width: Int = 760, height: Int = 320,
        logY: Bool = false, events: [Marker] = [], failures: [[Int]] = [], restarts: [[Int]] = []
    ) -> String {
        let left = 70.0, right = 170.0, bottom = 45.0
        // One strip row per series with failed steps, above the plot.
        var stripRow = Array(repeating: -1, count: series.count)
        var rows = 0
        for si in series.indices where si < failures.count && !failures[si].isEmpty {
            stripRow[si] = rows
            rows += 1
        }
        let marks = rows > 0
        let strip = Double(rows) * 6 + (marks ? 4 : 0)
        let top = 30.0 + strip + (events.isEmpty ? 0 : 24)
        let w = Double(width) - left - right
        let h = Double(height) - top - bottom
        let finite = series.flatMap(\.values).filter { $0.isFinite && (!logY || $0 > 0) }
        let count = series.map(\.values.count).max() ?? 0
        guard !finite.isEmpty, count > 0 else {
            return "<svg xmlns='http://www.w3.org/2000/svg' width='\(width)' height='60'><text x='10' y='30'>\(escape(title)): no data</text></svg>"
        }
        func tr(_ v: Double) -> Double { logY ? log10(v) : v }
        var lo = tr(finite.min()!)
        var hi = tr(finite.max()!)
        if !logY { lo = min(lo, 0) }
        if hi - lo < 1e-12 { hi = lo + 1 }
        let span = hi - lo
        hi += span * 0.05
        if logY { lo -= span * 0.05 }
        func x(_ i: Int) -> Double { left + (count > 1 ? Double(i) / Double(count - 1) : 0.5) * w }
        func y(_ v: Double) -> Double { top + h - (tr(v) - lo) / (hi - lo) * h }
        var svg = "<svg xmlns='http://www.w3.org/2000/svg' width='\(width)' height='\(height)' font-family='sans-serif' font-size='11'>"
        svg += "<text x='\(left)' y='18' font-size='13' font-weight='bold'>\(escape(title))</text>"
        svg += "<rect x='\(left)' y='\(top)' width='\(w)' height='\(h)' fill='none' stroke='#999'/>"
        // y ticks: values (linear: 5 evenly spaced; log: decades, with 2 and 5 when fewer than 3 decades show).
        var ticks: [Double] = []
        if logY {
            let decades = Int((hi - lo).rounded(.up))
            let steps: [Double] = decades < 3 ? [1, 2, 5] : [1]
            var e = Int(lo.rounded(.down))
            while Double(e) <= hi {
                for m in steps {
                    let v = m * pow(10, Double(e))
                    if log10(v) >= lo && log10(v) <= hi { ticks.append(v) }
                }
                e += 1
            }
            if ticks.count < 3 {
                // Less than a decade: round steps in plain values.
                let a = pow(10, lo), b = pow(10, hi)
                let raw = (b - a) / 6
                let magnitude = pow(10, log10(raw).rounded(.down))
                let step = ([1.0, 2, 5, 10].first { $0 * magnitude >= raw } ?? 10) * magnitude
                ticks = []
                var v = (a / step).rounded(.up) * step
                while v <= b {
                    if v > 0 { ticks.append(v) }
                    v += step
                }
            }
        } else {
            // A round step (1, 2 or 5 × 10^k) giving 4-8 ticks.
            let raw = (hi - lo) / 5
            let magnitude = pow(10, log10(raw).rounded(.down))
            let step = ([1.0, 2, 5, 10].first { $0 * magnitude >= raw } ?? 10) * magnitude
            var v = (lo / step).rounded(.up) * step
            while v <= hi + step * 1e-9 {
                ticks.append(abs(v) < step * 1e-9 ? 0 : v)
                v += step
            }
        }
        for v in ticks {
            let yy = y(v)
            svg += "<line x1='\(left)' x2='\(left + w)' y1='\(f(yy))' y2='\(f(yy))' stroke='#eee'/>"
            svg += "<text x='\(left - 6)' y='\(f(yy + 4))' text-anchor='end'>\(plain(v))</text>"
        }
        // x ticks on a round step (1, 2 or 5 × 10^k) giving at most 6 ticks.
        let raw = Double(max(count - 1, 1)) / 5
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = max(1, Int(([1.0, 2, 5, 10].first { $0 * magnitude >= raw } ?? 10) * magnitude))
        for xi in stride(from: 0, through: count - 1, by: step) {
            svg += "<line x1='\(f(x(xi)))' x2='\(f(x(xi)))' y1='\(f(top + h))' y2='\(f(top + h + 4))' stroke='#999'/>"
            svg += "<text x='\(f(x(xi)))' y='\(f(top + h + 16))' text-anchor='middle'>\(plain(Double(xi)))</text>"
        }
        svg += "<text x='\(f(left + w / 2))' y='\(f(Double(height) - 8))' text-anchor='middle'>\(escape(xLabel))</text>"
        svg += "<text transform='translate(14,\(f(top + h / 2))) rotate(-90)' text-anchor='middle'>\(escape(yLabel + (logY ? ", log scale" : "")))</text>"
        for (i, e) in events.enumerated() where e.x >= 0 && e.x < count {
            let xx = x(e.x)
            svg += "<line x1='\(f(xx))' x2='\(f(xx))' y1='\(f(top))' y2='\(f(top + h))' stroke='\(e.color)' stroke-dasharray='4,3' stroke-width='1'/>"
            let ly = (i % 2 == 0 ? top - 3 : top - 14) - strip
            svg += "<text x='\(f(xx))' y='\(f(ly))' font-size='9' text-anchor='middle' fill='\(e.color)'>\(escape(e.label))</text>"
        }
        for (si, s) in series.enumerated() {
            let color = palette[si % palette.count]
            var path = ""
            var pen = false
            for (i, v) in s.values.enumerated() {
                guard v.isFinite, !logY || v > 0 else { pen = false; continue }
                path += (pen ? "L" : "M") + "\(f(x(i))),\(f(y(v)))"
                pen = true
            }
            svg += "<path d='\(path)' fill='none' stroke='\(color)' stroke-width='1.5'/>"
            if si < restarts.count {
                for i in restarts[si] where i < s.values.count && s.values[i].isFinite {
                    svg += "<text x='\(f(x(i)))' y='\(f(y(s.values[i]) - 3))' text-anchor='middle' fill='\(color)' font-size='12'>▲</text>"
                }
            }
            if si < failures.count && stripRow[si] >= 0 {
                let yy = top - 4 - Double(stripRow[si] + 1) * 6
                let half = max(0.8, w / Double(max(count, 1)) / 2)
                for i in failures[si] where i < count {
                    svg += "<rect x='\(f(x(i) - half))' y='\(f(yy))' width='\(f(2 * half))' height='5' fill='\(color)'/>"
                }
            }
            let ly = top + 14 * Double(si) + 8
            svg += "<line x1='\(f(left + w + 12))' x2='\(f(left + w + 30))' y1='\(f(ly))' y2='\(f(ly))' stroke='\(color)' stroke-width='3'/>"
            svg += "<text x='\(f(left + w + 34))' y='\(f(ly + 4))'>\(escape(s.name))</text>"
        }
        var note = top + 14 * Double(series.count) + 16
        if marks {
            svg += "<text x='\(f(left + w + 12))' y='\(f(note))' font-size='10'>bars above: steps that failed</text>"
            note += 13
        }
        if !restarts.allSatisfy(\.isEmpty) {
            svg += "<text x='\(f(left + w + 12))' y='\(f(note))' font-size='10'>▲: sequence restarted</text>"
        }
        return svg + "</svg>"
    }

    /// Horizontal bars, one per label.
    public static func bars(title: String, labels: [String], values: [Double], unit: String, width: Int = 760) -> String {
        let rowHeight = 22.0, left = 160.0, top = 30.0
        let height = Int(top + rowHeight * Double(labels.count) + 20)
        let maxValue = values.filter(\.isFinite).max() ?? 1
        let w = Double(width) - left - 90
        var svg = "<svg xmlns='http://www.w3.org/2000/svg' width='\(width)' height='\(height)' font-family='sans-serif' font-size='11'>"
        svg += "<text x='10' y='18' font-size='13' font-weight='bold'>\(escape(title))</text>"
        for (i, label) in labels.enumerated() {
            let v = values[i]
            let yy = top + rowHeight * Double(i)
            let bw = v.isFinite && maxValue > 0 ? max(1, v / maxValue * w) : 0
            svg += "<text x='\(f(left - 6))' y='\(f(yy + 15))' text-anchor='end'>\(escape(label))</text>"
            svg += "<rect x='\(left)' y='\(f(yy + 3))' width='\(f(bw))' height='\(f(rowHeight - 6))' fill='\(palette[i % palette.count])'/>"
            svg += "<text x='\(f(left + bw + 4))' y='\(f(yy + 15))'>\(v.isFinite ? plain(v) : "failed") \(escape(unit))</text>"
        }
        return svg + "</svg>"
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// A number in plain notation: thousands grouped ("97,500"), small values with enough decimals ("0.004"), never
    /// an exponent.
    public static func plain(_ v: Double) -> String {
        let a = abs(v)
        if !v.isFinite { return v.isNaN ? "n/a" : "inf" }
        if a == 0 { return "0" }
        if a >= 1000 {
            let digits = String(format: "%.0f", a)
            var grouped = ""
            for (i, ch) in digits.reversed().enumerated() {
                if i > 0 && i % 3 == 0 { grouped.append(",") }
                grouped.append(ch)
            }
            return (v < 0 ? "-" : "") + String(grouped.reversed())
        }
        if a >= 100 { return String(format: "%.0f", v) }
        if a >= 10 { return trim(String(format: "%.1f", v)) }
        if a >= 1 { return trim(String(format: "%.2f", v)) }
        let decimals = min(12, Int((-log10(a)).rounded(.up)) + 1)
        return trim(String(format: "%.\(decimals)f", v))
    }

    private static func trim(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var t = s
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t
    }

    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "'", with: "&#39;")
    }
}
