// The counters of each site (requests, status codes, bytes, response times, the last 15 minutes'
// request rate) and the table of them in configuration order, kept across reloads; loop thread only.

/// One site's counters (loop thread only). `record` runs once per response: a few array stores, no
/// allocation, and no dynamic exclusivity check (the counters are one struct, touched on the loop thread only
/// and never across a call). About
/// 5.8 KiB per site: 600 status-code slots (4.8 KiB), 15 duration buckets, and the rate history (720 bytes).
final class SiteStats {
    /// The site's name (`ServerName`, or `default`): what the table matches on a reload.
    let name: String
    var aliases: [String]
    var root: String
    @exclusivity(unchecked) private(set) var counters = SiteCounters()

    init(name: String, aliases: [String], root: String) {
        self.name = name
        self.aliases = aliases
        self.root = root
    }

    var requests: Int { counters.requests }

    /// Counts one response: its status `code`, the body and total bytes sent, its duration in `seconds`,
    /// and its end at monotonic time `now` (the loop's cached clock) for the rate history.
    func record(code: Int, bodyBytes: Int, totalBytes: Int, seconds: Double, now: Double) {
        counters.record(code: code, bodyBytes: bodyBytes, totalBytes: totalBytes, seconds: seconds, now: now)
    }

    /// The counters as the status pages show them, the rate history read at monotonic time `now`.
    func status(now: Double) -> SiteStatus {
        let c = counters
        var byCode: [Int: Int] = [:]
        for (code, n) in c.codeCounts.enumerated() where n > 0 { byCode[code] = n }
        var cumulative = [Int](repeating: 0, count: durationBuckets.count)
        var total = 0
        for i in cumulative.indices {
            total += c.durationCounts[i]
            cumulative[i] = total
        }
        let series = c.rate.series(now: now)
        var status = SiteStatus(
            name: name, aliases: aliases, root: root, requests: c.requests, byCode: byCode, bodyBytes: c.bodyBytes,
            responseBytes: c.responseBytes, durationCounts: cumulative, durationSum: c.durationSum, rateCounts: series.counts,
            rateBucketSeconds: RateHistory.bucketSeconds, rateElapsed: series.elapsed)
        status.rateEndBucket = c.rate.endBucket(now: now)
        return status
    }
}

/// What a site counts, as one value.
struct SiteCounters {
    var requests = 0
    /// Responses by status code (100-599), one slot each, as ServerStats counts them.
    var codeCounts = [Int](repeating: 0, count: 600)
    var bodyBytes = 0
    var responseBytes = 0
    /// Responses per `durationBuckets` entry, not cumulative (the first bound at or above the duration),
    /// and a last slot for those slower than every bound.
    var durationCounts = [Int](repeating: 0, count: durationBuckets.count + 1)
    var durationSum = 0.0
    var rate = RateHistory()

    mutating func record(code: Int, bodyBytes: Int, totalBytes: Int, seconds: Double, now: Double) {
        requests += 1
        codeCounts[min(max(code, 0), codeCounts.count - 1)] += 1
        self.bodyBytes += bodyBytes
        responseBytes += totalBytes
        durationSum += seconds
        var slot = 0
        while slot < durationBuckets.count && seconds > durationBuckets[slot] { slot += 1 }
        durationCounts[slot] += 1
        rate.record(now: now)
    }
}

/// Every configured site's counters, in configuration order (loop thread only). `ResponseOutcome.site` is
/// an index into it.
final class SiteStatsTable {
    /// Loop thread only, never across a call: no dynamic exclusivity check on the per-response path.
    @exclusivity(unchecked) private(set) var sites: [SiteStats] = []

    var count: Int { sites.count }

    subscript(index: Int) -> SiteStats { sites[index] }

    /// The sites to count for `settings`, in order: the main server (index 0, which also counts the
    /// monitoring endpoints' responses), then each `<VirtualHost>`, as `ResponseOutcome.site` numbers them.
    static func sites(of settings: ServerSettings) -> [(name: String, aliases: [String], root: String)] {
        settings.sites.map { (name: $0.name, aliases: $0.aliases, root: $0.config.documentRoot) }
    }

    /// Takes the configured `sites` in order (at start and after each reload): a name still present keeps
    /// its counters (with its new aliases and root), a new name starts from zero, a name gone is dropped.
    /// A name given twice gets counters of its own the second time.
    func configure(_ sites: [(name: String, aliases: [String], root: String)]) {
        var old: [String: SiteStats] = [:]
        for s in self.sites { old[s.name] = s }
        self.sites = sites.map { site in
            let kept = old.removeValue(forKey: site.name) ?? SiteStats(name: site.name, aliases: [], root: "")
            kept.aliases = site.aliases
            kept.root = site.root
            return kept
        }
    }

    /// The site a response with site index `index` counts for: that one, or the first site when the index
    /// is out of range; nil when there is no site. (A response begun before a reload carries an index of
    /// the old order: it counts for the site now at that place.)
    func site(at index: Int) -> SiteStats? {
        sites.indices.contains(index) ? sites[index] : sites.first
    }

    /// Every site's counters, in order, the rate histories read at monotonic time `now`.
    func status(now: Double) -> [SiteStatus] { sites.map { $0.status(now: now) } }
}
