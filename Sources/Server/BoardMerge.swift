// Sums board records: counters add (each site's by name, rate histories lined up by bucket number), gauges come
// from live workers only, and the answering worker's snapshot takes the totals. Pure.

/// How `BoardCounters.add` treats sites and rate histories.
enum BoardMergeMode {
    /// The retired store: a site it has no name for is appended; rate histories end with the newer of the two.
    case keep
    /// The answering worker's totals: only its own sites count (its configuration's), and its rate histories
    /// keep ending now.
    case show
}

extension BoardCounters {
    /// Adds `other`'s counts to these: every sum, TLS and authentication counts, and each site's, matched by name
    /// (the k-th site of a name with the k-th of that name), its rate history lined up by bucket number. Sums
    /// wrap rather than trap, so a damaged but well-formed record cannot stop the process.
    mutating func add(_ other: BoardCounters, mode: BoardMergeMode) {
        connectionsAccepted &+= other.connectionsAccepted
        connectionsHandled &+= other.connectionsHandled
        refusedPerClient &+= other.refusedPerClient
        evicted &+= other.evicted
        dropped &+= other.dropped
        requests &+= other.requests
        byCode.merge(other.byCode, uniquingKeysWith: &+)
        bodyBytes &+= other.bodyBytes
        responseBytes &+= other.responseBytes
        Self.add(other.durationCounts, to: &durationCounts)
        durationSum += other.durationSum
        poolCompleted &+= other.poolCompleted
        poolRejected &+= other.poolRejected
        poolSkipped &+= other.poolSkipped
        queueDelaySum += other.queueDelaySum
        queueDelayCount &+= other.queueDelayCount
        cpuUserSeconds += other.cpuUserSeconds
        cpuSystemSeconds += other.cpuSystemSeconds
        if let theirs = other.authFailures { authFailures = (authFailures ?? 0) &+ theirs }
        if let theirs = other.tls {
            var t = tls ?? BoardTLS()
            t.handshakes &+= theirs.handshakes
            t.resumed &+= theirs.resumed
            t.versions.merge(theirs.versions, uniquingKeysWith: &+)
            t.failures.merge(theirs.failures, uniquingKeysWith: &+)
            tls = t
        }
        addSites(other.sites, mode: mode)
    }

    /// Adds each of `others` to the site of the same name (and occurrence of that name); the others are appended
    /// (`keep`) or dropped (`show`).
    mutating func addSites(_ others: [BoardSite], mode: BoardMergeMode) {
        var places: [String: [Int]] = [:]
        for (i, site) in sites.enumerated() { places[site.name, default: []].append(i) }
        var seen: [String: Int] = [:]
        for other in others {
            let k = seen[other.name, default: 0]
            seen[other.name] = k + 1
            if let mine = places[other.name], k < mine.count {
                sites[mine[k]].add(other, mode: mode)
            } else if mode == .keep {
                sites.append(other)
            }
        }
    }

    /// Adds `source` to `target` element by element (as far as both go).
    static func add(_ source: [Int], to target: inout [Int]) {
        for i in 0..<min(source.count, target.count) { target[i] &+= source[i] }
    }
}

extension BoardSite {
    /// Adds `other`'s counts to this site's; the rate histories are summed bucket by bucket after lining them up
    /// by bucket number (`keep`: ending with the newer; `show`: ending where this one does).
    mutating func add(_ other: BoardSite, mode: BoardMergeMode) {
        requests &+= other.requests
        byCode.merge(other.byCode, uniquingKeysWith: &+)
        bodyBytes &+= other.bodyBytes
        responseBytes &+= other.responseBytes
        BoardCounters.add(other.durationCounts, to: &durationCounts)
        durationSum += other.durationSum
        let end = mode == .keep ? max(rateEnd, other.rateEnd) : rateEnd
        rate = Self.aligned(rate, ending: rateEnd, to: end)
        for (i, n) in Self.aligned(other.rate, ending: other.rateEnd, to: end).enumerated() { rate[i] &+= n }
        rateEnd = end
    }

    /// `counts` (oldest first, the last one bucket number `ending`) as the `RateHistory.bucketCount` buckets that end
    /// with bucket number `end`: moved back by the difference, buckets outside the window dropped, the rest zero.
    static func aligned(_ counts: [Int], ending: Int, to end: Int) -> [Int] {
        let n = RateHistory.bucketCount
        var out = [Int](repeating: 0, count: n)
        let (shift, overflow) = end.subtractingReportingOverflow(ending)
        guard !overflow, shift > -n, shift < n else { return out }
        // counts[i] is bucket `ending - (counts.count - 1) + i`, which sits at `i + (n - counts.count) - shift`.
        let offset = n - counts.count - shift
        for (i, c) in counts.enumerated() where (0..<n).contains(i + offset) { out[i + offset] = c }
        return out
    }
}

extension BoardGauges {
    /// Adds a live worker's gauges: open connections, memory, pool and connection limit sum; pressure is anyone's.
    mutating func add(_ other: BoardGauges) {
        reading &+= other.reading
        writing &+= other.writing
        waiting &+= other.waiting
        closing &+= other.closing
        residentBytes &+= other.residentBytes
        poolSize &+= other.poolSize
        poolBusy &+= other.poolBusy
        poolQueued &+= other.poolQueued
        maxConnections &+= other.maxConnections
        underPressure = underPressure || other.underPressure
    }
}

/// What the other workers and the retired ones contribute to a status answer, as read from the board.
struct BoardView: Equatable {
    /// The other slots' records, in slot order; `live` is false for a worker that has died and awaits retiring
    /// (its counters count, its gauges and identity do not).
    var others: [(record: BoardRecord, live: Bool)] = []
    /// The counts of the workers that have ended (nil when the retired store is empty or unreadable).
    var retired: BoardCounters?

    static func == (a: BoardView, b: BoardView) -> Bool {
        a.retired == b.retired && a.others.count == b.others.count
            && zip(a.others, b.others).allSatisfy { $0.record == $1.record && $0.live == $1.live }
    }
}

extension StatusSnapshot {
    /// This snapshot (the answering worker's live one) with `view` added: every counter is its own plus the
    /// other workers' and the retired ones' (each site's by name, among its own sites); open connections, memory,
    /// the pool, MaxConnections and pressure are its own plus the live workers'. The rest (PID, times,
    /// configuration, TLS certificates) stays its own. Returns the snapshot and the live workers' identities,
    /// `own` first.
    func aggregated(own: BoardIdentity, with view: BoardView) -> (StatusSnapshot, [BoardIdentity]) {
        var totals = BoardCounters(self)
        var gauges = BoardRecord(self, identity: own).gauges
        var workers = [own]
        for (record, live) in view.others {
            totals.add(record.counters, mode: .show)
            if live {
                gauges.add(record.gauges)
                workers.append(record.identity)
            }
        }
        if let retired = view.retired { totals.add(retired, mode: .show) }
        var s = self
        s.apply(totals)
        s.reading = gauges.reading
        s.writing = gauges.writing
        s.waiting = gauges.waiting
        s.closing = gauges.closing
        s.residentBytes = gauges.residentBytes
        s.workers = gauges.poolSize
        s.workersBusy = gauges.poolBusy
        s.workersQueued = gauges.poolQueued
        s.maxConnections = gauges.maxConnections
        s.underPressure = gauges.underPressure
        return (s, workers)
    }

    /// Takes the counters of `t`, whose sites are this snapshot's in order (`show` mode keeps them so).
    mutating func apply(_ t: BoardCounters) {
        connectionsAccepted = t.connectionsAccepted
        connectionsHandled = t.connectionsHandled
        connectionsRefusedPerClient = t.refusedPerClient
        connectionsEvicted = t.evicted
        connectionsDropped = t.dropped
        requests = t.requests
        byCode = t.byCode
        bodyBytes = t.bodyBytes
        responseBytes = t.responseBytes
        durationCounts = t.durationCounts
        durationSum = t.durationSum
        workersCompleted = t.poolCompleted
        workersRejected = t.poolRejected
        workersSkipped = t.poolSkipped
        queueDelaySum = t.queueDelaySum
        queueDelayCount = t.queueDelayCount
        cpuUserSeconds = t.cpuUserSeconds
        cpuSystemSeconds = t.cpuSystemSeconds
        if authFailures != nil || (t.authFailures ?? 0) > 0 { authFailures = t.authFailures ?? 0 }
        if var own = tls, let theirs = t.tls {
            own.handshakes = theirs.handshakes
            own.resumed = theirs.resumed
            own.versions = theirs.versions
            own.failures = theirs.failures
            tls = own
        }
        for (i, site) in zip(sites.indices, t.sites) {
            sites[i].requests = site.requests
            sites[i].byCode = site.byCode
            sites[i].bodyBytes = site.bodyBytes
            sites[i].responseBytes = site.responseBytes
            sites[i].durationCounts = site.durationCounts
            sites[i].durationSum = site.durationSum
            sites[i].rateCounts = site.rate
        }
    }
}
