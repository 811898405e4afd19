// The inline SVG charts of the HTML status page, drawn from a site's counters: requests per second over
// the last 15 minutes (an area) and the response-time distribution (one bar per duration bucket). Pure.

import HTTPCore

/// Inline SVG charts: no script, no external asset, explicit width, height and viewBox; every text escaped.
enum StatusCharts {
    /// The fill of the request-rate area and of the response-time bars (the browser test looks for them).
    static let rateColour = "#1f77b4"
    static let durationColour = "#e6791f"
    static let width = 640
    /// The plot area of the rate chart: left edge, width, top and baseline.
    static let plotLeft = 70
    static let plotWidth = 540
    static let plotTop = 12
    static let plotBase = 132
    static let rateHeight = 160
    /// The response-time chart: one row per bucket, bars of at most `barMax` from `plotLeft`.
    static let rowHeight = 16
    static let barHeight = 12
    static let barMax = 440

    /// The `<svg>` opening tag, with the title that screen readers and tooltips show.
    static func open(_ kind: String, height: Int, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart \(kind)\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\">"
            + "<title>\(HTMLEscape.escape(title))</title>\n"
    }

    /// A coordinate with at most one decimal (`132`, `57.5`).
    static func coordinate(_ x: Double) -> String {
        let tenths = Int((x * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        return tenths % 10 == 0 ? String(tenths / 10) : "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }

    /// The smallest of 1, 2 and 5 times a power of ten at or above `x` (1 when `x` is 0): the top of a scale.
    static func niceCeiling(_ x: Double) -> Double {
        guard x.isFinite, x > 0 else { return 1 }
        var power = 1.0
        while power * 10 <= x { power *= 10 }
        while power > x && power > 1e-9 { power /= 10 }
        for m in [1.0, 2, 5, 10] where m * power >= x * (1 - 1e-12) { return m * power }
        return 10 * power
    }

    /// `text` at (`x`, `y`), anchored `anchor` (start, middle, end).
    static func text(_ x: Int, _ y: Int, _ text: String, anchor: String = "start") -> String {
        "<text x=\"\(x)\" y=\"\(y)\"" + (anchor == "start" ? "" : " text-anchor=\"\(anchor)\"") + ">"
            + HTMLEscape.escape(text) + "</text>\n"
    }

    /// Requests per second (`perSecond`, oldest first, one value per bucket of `bucketSeconds`) as a filled
    /// step area over the plot's width, scaled to a round maximum labelled on the axis; a bucket with any
    /// request is at least 1 px high. `site` names the chart's title.
    static func rateChart(_ perSecond: [Double], bucketSeconds: Int, site: String) -> String {
        let top = niceCeiling(perSecond.max() ?? 0)
        let height = Double(plotBase - plotTop)
        let step = Double(plotWidth) / Double(max(perSecond.count, 1))
        var path = "M\(plotLeft),\(plotBase)"
        var y = Double(plotBase)
        var run = 0.0
        for v in perSecond {
            let rise = v > 0 ? max(height * min(v / top, 1), 1) : 0
            let next = (Double(plotBase) - rise) * 10
            let level = next.rounded() / 10
            if level != y {
                if run > 0 { path += "h" + coordinate(run) }
                path += "V" + coordinate(level)
                y = level
                run = 0
            }
            run += step
        }
        if run > 0 { path += "h" + coordinate(run) }
        path += "V\(plotBase)Z"
        let minutes = perSecond.count * bucketSeconds / 60
        let right = plotLeft + plotWidth
        var svg = open("rate", height: rateHeight, title: "Requests per second of \(site), last \(minutes) minutes")
        svg += "<path d=\"\(path)\" fill=\"\(rateColour)\" shape-rendering=\"crispEdges\"/>\n"
        svg +=
            "<line x1=\"\(plotLeft)\" y1=\"\(plotTop)\" x2=\"\(right)\" y2=\"\(plotTop)\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>\n"
        svg += "<line x1=\"\(plotLeft)\" y1=\"\(plotBase)\" x2=\"\(right)\" y2=\"\(plotBase)\" stroke=\"#555\"/>\n"
        svg += "<line x1=\"\(plotLeft)\" y1=\"\(plotTop)\" x2=\"\(plotLeft)\" y2=\"\(plotBase)\" stroke=\"#555\"/>\n"
        svg += text(plotLeft - 6, plotTop + 4, Readable.rate(top), anchor: "end")
        svg += text(plotLeft - 6, plotBase + 4, "0", anchor: "end")
        let labelY = plotBase + 18
        svg += text(plotLeft, labelY, "\(minutes) min ago")
        for third in 1...2 where minutes >= 3 && minutes % 3 == 0 {
            let x = plotLeft + plotWidth * third / 3
            svg += "<line x1=\"\(x)\" y1=\"\(plotBase)\" x2=\"\(x)\" y2=\"\(plotBase + 5)\" stroke=\"#555\"/>\n"
            svg += text(x, labelY, "\(minutes - minutes * third / 3) min ago", anchor: "middle")
        }
        svg += text(right, labelY, "now", anchor: "end")
        return svg + "</svg>\n"
    }

    /// The label of duration bucket `i`: `≤500 µs` … `≤10 s`, and `>10 s` for the one past the last bound.
    static func bucketLabel(_ i: Int) -> String {
        i < durationBuckets.count
            ? "≤" + Readable.duration(durationBuckets[i]) : ">" + Readable.duration(durationBuckets[durationBuckets.count - 1])
    }

    /// Responses per duration bucket (`counts`, not cumulative: one per `durationBuckets` entry and one past
    /// the last) as horizontal bars, the longest `barMax` wide, each labelled with its bucket, its count and
    /// its share; a bucket with any response is at least 1 px long, an empty one 0.
    static func durationChart(_ counts: [Int], site: String) -> String {
        let most = counts.max() ?? 0
        let total = counts.reduce(0, +)
        let height = counts.count * rowHeight + 8
        var svg = open("durations", height: height, title: "Response times of \(site): requests per duration bucket")
        for (i, n) in counts.enumerated() {
            let rowTop = 4 + i * rowHeight
            let length = n > 0 ? max(Double(barMax) * Double(n) / Double(most), 1) : 0
            svg += text(plotLeft - 6, rowTop + 11, bucketLabel(i), anchor: "end")
            svg +=
                "<rect x=\"\(plotLeft)\" y=\"\(rowTop + 1)\" width=\"\(coordinate(length))\" height=\"\(barHeight)\" "
                + "fill=\"\(durationColour)\"/>\n"
            let share = n > 0 ? " (" + Readable.number(100 * Double(n) / Double(total)) + " %)" : ""
            svg += text(plotLeft + Int(length.rounded(.up)) + 6, rowTop + 11, Readable.count(n) + share)
        }
        svg += "<line x1=\"\(plotLeft)\" y1=\"4\" x2=\"\(plotLeft)\" y2=\"\(height - 4)\" stroke=\"#555\"/>\n"
        return svg + "</svg>\n"
    }
}
