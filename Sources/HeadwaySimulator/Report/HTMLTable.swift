/// A real HTML table (header row, one row per entry; numeric cells right-aligned).
public enum HTMLTable {
    /// `numeric`: indices of right-aligned columns. Cells are escaped.
    public static func render(header: [String], rows: [[String]], numeric: Set<Int> = [], caption: String? = nil) -> String {
        var out = "<table>"
        if let caption { out += "<caption>\(SVGChart.escape(caption))</caption>" }
        out += "<thead><tr>" + header.enumerated().map { i, h in
            "<th\(numeric.contains(i) ? " class='num'" : "")>\(SVGChart.escape(h))</th>"
        }.joined() + "</tr></thead><tbody>"
        for r in rows {
            out += "<tr>" + r.enumerated().map { i, c in
                "<td\(numeric.contains(i) ? " class='num'" : "")>\(SVGChart.escape(c))</td>"
            }.joined() + "</tr>"
        }
        return out + "</tbody></table>"
    }

    /// Page styles for tables, appended to `SimulationHTML.page`'s.
    public static let style = "table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;"
        + "padding:3px 8px}th{background:#f0f0f0;text-align:left}td.num,th.num{text-align:right;"
        + "font-variant-numeric:tabular-nums}caption{text-align:left;font-weight:bold;margin-bottom:4px}"
}
