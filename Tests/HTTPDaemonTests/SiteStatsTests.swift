// Per-site counters: the 15-minute rate history (bucket boundaries, gaps, reading later than the last
// request), the duration buckets, and the table kept across reconfiguration.

import Testing

@testable import Config
@testable import Server

/// The history's series at `now`, as (index from the oldest, count) for its nonzero buckets.
private func nonzero(_ h: RateHistory, now: Double) -> [(Int, Int)] {
    h.series(now: now).counts.enumerated().filter { $0.element != 0 }.map { ($0.offset, $0.element) }
}

private func same(_ a: [(Int, Int)], _ b: [(Int, Int)]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0 == $1 }
}

@Suite struct RateHistoryTests {
    @Test func isFifteenMinutesOfFiveSecondBuckets() {
        #expect(RateHistory.bucketSeconds * RateHistory.bucketCount == 900)
        let (counts, elapsed) = RateHistory().series(now: 1000)
        #expect(counts == [Int](repeating: 0, count: 180))
        #expect(elapsed == 0)
    }

    @Test func bucketBoundariesAreMultiplesOfFiveSeconds() {
        #expect(RateHistory.bucket(1000) == 200)
        #expect(RateHistory.bucket(1004.999) == 200)
        #expect(RateHistory.bucket(1005) == 201)
        #expect(RateHistory.bucket(-3) == 0)
        #expect(RateHistory.bucket(.nan) == 0)
        var h = RateHistory()
        for t in [1000, 1000.1, 1004.999, 1005] { h.record(now: t) }
        // The series ends with the bucket holding now (201, from 1005 s): 3 before it, 1 in it.
        #expect(same(nonzero(h, now: 1005), [(178, 3), (179, 1)]))
        #expect(h.series(now: 1007.5).elapsed == 2.5)
        #expect(h.series(now: 1009.999).elapsed > 4.99)
    }

    @Test func readingLaterThanTheLastRequestShiftsTheSeries() {
        var h = RateHistory()
        for t in [1000.0, 1001, 1002, 1005] { h.record(now: t) }
        // One minute later: bucket 213 is last; 201 is 12 buckets back, 200 13.
        #expect(same(nonzero(h, now: 1065), [(166, 3), (167, 1)]))
        // 15 minutes after 1000: bucket 380 is last, the first is 201; bucket 200 has left the window.
        #expect(same(nonzero(h, now: 1900), [(0, 1)]))
        #expect(nonzero(h, now: 1905).isEmpty)
        #expect(nonzero(h, now: 1_000_000).isEmpty)
    }

    @Test func aGapOfFifteenMinutesOrMoreClearsEveryBucket() {
        var h = RateHistory()
        for _ in 0..<3 { h.record(now: 1000) }
        h.record(now: 1900)  // bucket 380: 180 buckets later, in the same slot as bucket 200
        #expect(same(nonzero(h, now: 1900), [(179, 1)]))
        var long = RateHistory()
        for t in [1000.0, 1010, 1020] { long.record(now: t) }
        long.record(now: 1_000_000)
        #expect(same(nonzero(long, now: 1_000_000), [(179, 1)]))
    }

    @Test func aGapJustShorterThanTheWindowKeepsTheOldestBucket() {
        var h = RateHistory()
        h.record(now: 1000)  // bucket 200
        h.record(now: 1010)  // bucket 202
        h.record(now: 1895)  // bucket 379: 200 is the oldest still shown, 201 to 378 cleared
        #expect(same(nonzero(h, now: 1895), [(0, 1), (2, 1), (179, 1)]))
        h.record(now: 1900)  // bucket 380 reuses bucket 200's slot
        #expect(same(nonzero(h, now: 1900), [(1, 1), (178, 1), (179, 1)]))
    }

    @Test func anEarlierTimeCountsInItsBucketOrNotAtAll() {
        var h = RateHistory()
        h.record(now: 2000)  // bucket 400
        h.record(now: 1990)  // bucket 398, inside the window
        h.record(now: 1000)  // older than the window: dropped
        #expect(same(nonzero(h, now: 2000), [(177, 1), (179, 1)]))
        // Now earlier than the newest request: the series still ends with the newest bucket.
        #expect(same(nonzero(h, now: 1990), [(177, 1), (179, 1)]))
    }

    @Test func slotsSkippedOverAreZeroedBeforeReuse() {
        var h = RateHistory()
        for t in stride(from: 1000.0, to: 1900, by: 5) { h.record(now: t) }  // buckets 200...379, one each
        #expect(h.series(now: 1895).counts == [Int](repeating: 1, count: 180))
        h.record(now: 1950)  // bucket 390: 380...389 were skipped (their slots held 200...209)
        #expect(same(nonzero(h, now: 1950), (0..<169).map { ($0, 1) } + [(179, 1)]))
    }
}

@Suite struct SiteStatsTests {
    @Test func recordCountsCodesBytesAndDurationBuckets() {
        let s = SiteStats(name: "a", aliases: [], root: "/r")
        s.record(code: 200, bodyBytes: 10, totalBytes: 100, seconds: 0.0005, now: 1000)
        s.record(code: 200, bodyBytes: 20, totalBytes: 120, seconds: 0.00051, now: 1001)
        s.record(code: 404, bodyBytes: 5, totalBytes: 90, seconds: 11, now: 1002)
        s.record(code: 777, bodyBytes: 0, totalBytes: 0, seconds: 0.02, now: 1003)
        let status = s.status(now: 1003)
        #expect(status.requests == 4)
        #expect(status.byCode == [200: 2, 404: 1, 599: 1])
        #expect(status.bodyBytes == 35 && status.responseBytes == 310)
        #expect(status.durationSum == 0.0005 + 0.00051 + 11 + 0.02)
        // ≤0.5 ms, ≤1 ms, … ≤25 ms …: cumulative as Prometheus's le; 11 s is past every bound.
        #expect(status.durationCounts == [1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3])
        #expect(status.durationBucketCounts == [1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(status.rateCounts.last == 4 && status.rateCounts.reduce(0, +) == 4)
        #expect(status.rateBucketSeconds == 5 && status.rateElapsed == 3)
        #expect(status.name == "a" && status.root == "/r")
    }

    @Test func ratePerSecondCountsTheBucketUnderWayOverItsElapsedSeconds() {
        var status = SiteStats(name: "a", aliases: [], root: "").status(now: 0)
        status.rateCounts = [Int](repeating: 0, count: 178) + [10, 6]
        status.rateElapsed = 2
        #expect(status.ratePerSecond.suffix(3) == [0, 2, 3])
        status.rateElapsed = 0.1  // at least one second: the first request of a bucket is no spike
        #expect(status.ratePerSecond.last == 6)
    }
}

@Suite struct SiteStatsTableTests {
    private func sites(_ names: String...) -> [(name: String, aliases: [String], root: String)] {
        names.map { (name: $0, aliases: ["www.\($0)"], root: "/srv/\($0)") }
    }

    @Test func reconfigureKeepsTheCountersOfNamesStillPresent() {
        let table = SiteStatsTable()
        table.configure(sites("a", "b"))
        table[0].record(code: 200, bodyBytes: 1, totalBytes: 2, seconds: 0.001, now: 10)
        table[1].record(code: 404, bodyBytes: 1, totalBytes: 2, seconds: 0.001, now: 10)
        table[1].record(code: 404, bodyBytes: 1, totalBytes: 2, seconds: 0.001, now: 10)
        table.configure([(name: "b", aliases: [], root: "/new"), (name: "c", aliases: [], root: "/c")] + sites("a"))
        #expect(table.count == 3)
        #expect(table.sites.map(\.name) == ["b", "c", "a"])
        #expect(table[0].requests == 2 && table[0].root == "/new" && table[0].aliases == [])
        #expect(table[1].requests == 0)
        #expect(table[2].requests == 1 && table[2].aliases == ["www.a"])
        table.configure(sites("c"))
        #expect(table.sites.map(\.name) == ["c"])
        table.configure(sites("a", "c"))
        #expect(table[0].requests == 0)  // dropped, then added again: from zero
        #expect(table.status(now: 10).map(\.name) == ["a", "c"])
    }

    @Test func aNameGivenTwiceGetsCountersOfItsOwn() {
        let table = SiteStatsTable()
        table.configure(sites("a", "a"))
        table[0].record(code: 200, bodyBytes: 1, totalBytes: 2, seconds: 0.001, now: 10)
        #expect(table[0] !== table[1])
        #expect(table[1].requests == 0)
    }

    @Test func anIndexOutOfRangeCountsForTheFirstSite() {
        let table = SiteStatsTable()
        #expect(table.site(at: 0) == nil)
        table.configure(sites("a", "b"))
        #expect(table.site(at: 1) === table[1])
        #expect(table.site(at: 2) === table[0])
        #expect(table.site(at: -1) === table[0])
    }

    @Test func theSitesAreTheMainServerThenEachVirtualHost() throws {
        var config = Configuration()
        let errors = ConfigReader(baseDirectory: "/").apply(
            """
            DocumentRoot /tmp
            <VirtualHost *:8080>
              ServerName a.example
              ServerAlias www.a.example
              DocumentRoot /
            </VirtualHost>
            <VirtualHost *:8080>
            </VirtualHost>
            """, file: "httpd.conf", to: &config)
        #expect(errors.isEmpty)
        let sites = SiteStatsTable.sites(of: try ServerSettings.make(config))
        #expect(sites.map(\.name) == ["default", "a.example", "site 2"])
        #expect(sites.map(\.aliases) == [[], ["www.a.example"], []])
        #expect(sites.map(\.root) == ["/tmp", "/", "/tmp"])
    }
}
