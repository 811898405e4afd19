// The status page's inline SVG charts for known inputs: the rate area's exact path and labels, the
// response-time bars' lengths proportional to their counts, and a hostile site name escaped.

import Testing

@testable import Server

/// The values of attribute `name` in `svg`, in order.
private func attributes(_ name: String, in svg: String) -> [String] {
    svg.split(separator: " ").compactMap { word in
        guard word.hasPrefix(name + "=\"") else { return nil }
        return String(word.dropFirst(name.count + 2).prefix { $0 != "\"" })
    }
}

private func occurrences(_ needle: String, in text: String) -> Int {
    text.ranges(of: needle).count
}

@Suite struct StatusChartsTests {
    @Test func niceCeilingIsOneTwoOrFiveTimesAPowerOfTen() {
        let table: [(Double, Double)] = [
            (0, 1), (0.2, 0.2), (0.25, 0.5), (1, 1), (1.01, 2), (3, 5), (7, 10), (12.5, 20), (100, 100), (101, 200),
        ]
        for (x, top) in table { #expect(StatusCharts.niceCeiling(x) == top, "\(x)") }
    }

    @Test func coordinatesHaveAtMostOneDecimal() {
        #expect(StatusCharts.coordinate(132) == "132")
        #expect(StatusCharts.coordinate(57.46) == "57.5")
        #expect(StatusCharts.coordinate(-0.5) == "-0.5")
    }

    @Test func rateChartIsAStepAreaScaledToARoundMaximum() {
        let rates = [Double](repeating: 0, count: 170) + [10] + [Double](repeating: 0, count: 8) + [5]
        let svg = StatusCharts.rateChart(rates, bucketSeconds: 5, site: "a")
        #expect(
            svg == """
                <svg xmlns="http://www.w3.org/2000/svg" class="chart rate" width="640" height="160" viewBox="0 0 640 160" \
                font-family="sans-serif" font-size="11" role="img"><title>Requests per second of a, last 15 minutes</title>
                <path d="M70,132h510V12h3V132h24V72h3V132Z" fill="#1f77b4" shape-rendering="crispEdges"/>
                <line x1="70" y1="12" x2="610" y2="12" stroke="#bbb" stroke-dasharray="4 3"/>
                <line x1="70" y1="132" x2="610" y2="132" stroke="#555"/>
                <line x1="70" y1="12" x2="70" y2="132" stroke="#555"/>
                <text x="64" y="16" text-anchor="end">10 req/s</text>
                <text x="64" y="136" text-anchor="end">0</text>
                <text x="70" y="150">15 min ago</text>
                <line x1="250" y1="132" x2="250" y2="137" stroke="#555"/>
                <text x="250" y="150" text-anchor="middle">10 min ago</text>
                <line x1="430" y1="132" x2="430" y2="137" stroke="#555"/>
                <text x="430" y="150" text-anchor="middle">5 min ago</text>
                <text x="610" y="150" text-anchor="end">now</text>
                </svg>

                """)
    }

    @Test func anyRequestIsAtLeastOnePixelHigh() {
        let svg = StatusCharts.rateChart([0.01, 1000], bucketSeconds: 5, site: "a")
        #expect(svg.contains("<path d=\"M70,132V131h270V12h270V132Z\""))
        #expect(svg.contains(">1,000 req/s</text>"))
        let idle = StatusCharts.rateChart([Double](repeating: 0, count: 180), bucketSeconds: 5, site: "a")
        #expect(idle.contains("<path d=\"M70,132h540V132Z\""))
        #expect(idle.contains(">1 req/s</text>"))
    }

    @Test func durationBarsAreProportionalToTheirCounts() {
        let counts = [4, 2] + [Int](repeating: 0, count: 12) + [1]
        let svg = StatusCharts.durationChart(counts, site: "a")
        #expect(
            svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart durations\" width=\"640\" height=\"248\" "))
        #expect(svg.contains(" viewBox=\"0 0 640 248\" "))
        #expect(occurrences("<rect ", in: svg) == 15)
        #expect(
            Array(attributes("width", in: svg).dropFirst()) == ["440", "220"] + [String](repeating: "0", count: 12) + ["110"])
        #expect(
            svg.contains(
                """
                <text x="64" y="15" text-anchor="end">≤500 µs</text>
                <rect x="70" y="5" width="440" height="12" fill="#e6791f"/>
                <text x="516" y="15">4 (57.1 %)</text>

                """))
        #expect(svg.contains("<text x=\"64\" y=\"31\" text-anchor=\"end\">≤1 ms</text>\n"))
        #expect(svg.contains("<text x=\"296\" y=\"31\">2 (28.6 %)</text>\n"))
        #expect(
            svg.contains(
                "<rect x=\"70\" y=\"37\" width=\"0\" height=\"12\" fill=\"#e6791f\"/>\n<text x=\"76\" y=\"47\">0</text>\n"))
        #expect(
            svg.contains(
                """
                <text x="64" y="239" text-anchor="end">&gt;10 s</text>
                <rect x="70" y="229" width="110" height="12" fill="#e6791f"/>
                <text x="186" y="239">1 (14.3 %)</text>

                """))
        #expect(svg.hasSuffix("</svg>\n"))
    }

    @Test func bucketLabelsNameEveryBound() {
        let labels = (0...durationBuckets.count).map(StatusCharts.bucketLabel)
        #expect(
            labels == [
                "≤500 µs", "≤1 ms", "≤2.5 ms", "≤5 ms", "≤10 ms", "≤25 ms", "≤50 ms", "≤100 ms", "≤250 ms", "≤500 ms", "≤1 s",
                "≤2.5 s", "≤5 s", "≤10 s", ">10 s",
            ])
    }

    @Test func aHostileSiteNameIsEscaped() {
        let name = "<script>alert(1)</script>&\"'"
        for svg in [
            StatusCharts.rateChart([1], bucketSeconds: 5, site: name),
            StatusCharts.durationChart([1, 0], site: name),
        ] {
            #expect(!svg.contains("<script>"))
            #expect(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;"))
        }
    }
}
