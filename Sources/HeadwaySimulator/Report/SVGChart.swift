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

    /// A line chart; non-finite values leave gaps. `xLabel`/`yLabel` name the axes with units.
    public static func lines(
        title: String, series: [Series], xLabel: String, yLabel: String, width: Int = 760, height: Int = 320,
        logY: Bool = false
    ) -> String {
        let left = 70.0, right = 170.0, top = 30.0, bottom = 45.0
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
        func x(_ i: Int) -> Double { left + (count > 1 ? Double(i) / Double(count - 1) : 0.5) * w }
        func y(_ v: Double) -> Double { top + h - (tr(v) - lo) / (hi - lo) * h }
        var svg = "<svg xmlns='http://www.w3.org/2000/svg' width='\(width)' height='\(height)' font-family='sans-serif' font-size='11'>"
        svg += "<text x='\(left)' y='18' font-size='13' font-weight='bold'>\(escape(title))</text>"
        svg += "<rect x='\(left)' y='\(top)' width='\(w)' height='\(h)' fill='none' stroke='#999'/>"
        for k in 0...4 {
            let tv = lo + (hi - lo) * Double(k) / 4
            let yy = top + h - Double(k) / 4 * h
            let label = logY ? short(pow(10, tv)) : short(tv)
            svg += "<line x1='\(left)' x2='\(left + w)' y1='\(f(yy))' y2='\(f(yy))' stroke='#eee'/>"
            svg += "<text x='\(left - 6)' y='\(f(yy + 4))' text-anchor='end'>\(label)</text>"
            let xi = Int((Double(count - 1) * Double(k) / 4).rounded())
            svg += "<text x='\(f(x(xi)))' y='\(f(top + h + 16))' text-anchor='middle'>\(xi)</text>"
        }
        svg += "<text x='\(f(left + w / 2))' y='\(f(Double(height) - 8))' text-anchor='middle'>\(escape(xLabel))</text>"
        svg += "<text transform='translate(14,\(f(top + h / 2))) rotate(-90)' text-anchor='middle'>\(escape(yLabel))</text>"
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
            let ly = top + 14 * Double(si) + 8
            svg += "<line x1='\(f(left + w + 12))' x2='\(f(left + w + 30))' y1='\(f(ly))' y2='\(f(ly))' stroke='\(color)' stroke-width='3'/>"
            svg += "<text x='\(f(left + w + 34))' y='\(f(ly + 4))'>\(escape(s.name))</text>"
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
            svg += "<text x='\(f(left + bw + 4))' y='\(f(yy + 15))'>\(v.isFinite ? short(v) : "inf") \(escape(unit))</text>"
        }
        return svg + "</svg>"
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func short(_ v: Double) -> String {
        let a = abs(v)
        if a == 0 { return "0" }
        if a >= 1000 || a < 0.01 { return String(format: "%.2e", v) }
        if a >= 100 { return String(format: "%.0f", v) }
        if a >= 10 { return String(format: "%.1f", v) }
        return String(format: "%.3g", v)
    }

    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "'", with: "&#39;")
    }
}
