// What one worker process publishes on the status board: who it is, its gauges (open connections, memory,
// pool), and its counters (everything that sums across workers, each site's keyed by name), taken from a snapshot.

/// Who published a board record.
struct BoardIdentity: Equatable {
    /// The worker's place among its master's workers, as status pages show it.
    var slot = 0
    var pid: Int32 = 0
    /// The master's PID (0 when none).
    var master: Int32 = 0
    /// Unix seconds when the worker started.
    var started = 0
    /// Workers the master had replaced before it forked this one.
    var restarts = 0
    /// The worker's configuration generation.
    var generation = 1
    var draining = false
}

extension BoardIdentity {
    /// The board's form of `worker`, at configuration `generation`.
    init(_ worker: WorkerIdentity, generation: Int, draining: Bool) {
        self.init(
            slot: worker.slot, pid: worker.pid, master: worker.master ?? 0, started: worker.started, restarts: worker.restarts,
            generation: generation, draining: draining)
    }

    /// The identity as status pages show it.
    var worker: WorkerIdentity {
        WorkerIdentity(slot: slot, pid: pid, master: master == 0 ? nil : master, started: started, restarts: restarts)
    }
}

/// A worker's figures that describe it now and make no sense summed into history: they come from live slots only.
struct BoardGauges: Equatable {
    var reading = 0
    var writing = 0
    var waiting = 0
    var closing = 0
    var residentBytes = 0
    var poolSize = 0
    var poolBusy = 0
    var poolQueued = 0
    var maxConnections = 0
    var underPressure = false
}

/// TLS handshake counters (without the certificates, which come from the answering worker's configuration).
struct BoardTLS: Equatable {
    var handshakes = 0
    var resumed = 0
    var versions: [String: Int] = [:]
    var failures: [String: Int] = [:]
}

/// One site's counters, keyed by its name; `durationCounts` is cumulative (Prometheus `le`), as SiteStatus has it.
struct BoardSite: Equatable {
    var name: String
    var requests = 0
    var byCode: [Int: Int] = [:]
    var bodyBytes = 0
    var responseBytes = 0
    var durationCounts = [Int](repeating: 0, count: durationBuckets.count)
    var durationSum = 0.0
    /// Requests per rate bucket, oldest first, ending with bucket number `rateEnd` (see `SiteStatus.rateEndBucket`).
    var rate = [Int](repeating: 0, count: RateHistory.bucketCount)
    var rateEnd = 0
}

/// Everything that sums across workers: retired workers' counts are kept in one of these too.
struct BoardCounters: Equatable {
    var connectionsAccepted = 0
    var connectionsHandled = 0
    var refusedPerClient = 0
    var evicted = 0
    var dropped = 0
    var requests = 0
    var byCode: [Int: Int] = [:]
    var bodyBytes = 0
    var responseBytes = 0
    var durationCounts = [Int](repeating: 0, count: durationBuckets.count)
    var durationSum = 0.0
    var poolCompleted = 0
    var poolRejected = 0
    var poolSkipped = 0
    var queueDelaySum = 0.0
    var queueDelayCount = 0
    var cpuUserSeconds = 0.0
    var cpuSystemSeconds = 0.0
    /// Refused Basic-authentication logins; nil when the worker checks no password.
    var authFailures: Int?
    /// nil when the worker has no TLS configured.
    var tls: BoardTLS?
    /// Each site's counters, in the worker's configuration order.
    var sites: [BoardSite] = []
}

/// What a slot of the status board holds: one worker's identity, gauges and counters.
struct BoardRecord: Equatable {
    var identity = BoardIdentity()
    var gauges = BoardGauges()
    var counters = BoardCounters()
    /// True when the encoder had to leave sites out to fit the slot.
    var truncated = false
}

extension BoardRecord {
    /// The record of the worker whose status is `s`, as `identity` names it.
    init(_ s: StatusSnapshot, identity: BoardIdentity) {
        self.identity = identity
        gauges = BoardGauges(
            reading: s.reading, writing: s.writing, waiting: s.waiting, closing: s.closing, residentBytes: s.residentBytes,
            poolSize: s.workers, poolBusy: s.workersBusy, poolQueued: s.workersQueued, maxConnections: s.maxConnections,
            underPressure: s.underPressure)
        counters = BoardCounters(s)
    }
}

extension BoardCounters {
    /// The counters of the status snapshot `s`.
    init(_ s: StatusSnapshot) {
        self.init(
            connectionsAccepted: s.connectionsAccepted, connectionsHandled: s.connectionsHandled,
            refusedPerClient: s.connectionsRefusedPerClient, evicted: s.connectionsEvicted, dropped: s.connectionsDropped,
            requests: s.requests, byCode: s.byCode, bodyBytes: s.bodyBytes, responseBytes: s.responseBytes,
            durationCounts: s.durationCounts, durationSum: s.durationSum, poolCompleted: s.workersCompleted,
            poolRejected: s.workersRejected, poolSkipped: s.workersSkipped, queueDelaySum: s.queueDelaySum,
            queueDelayCount: s.queueDelayCount, cpuUserSeconds: s.cpuUserSeconds, cpuSystemSeconds: s.cpuSystemSeconds,
            authFailures: s.authFailures,
            tls: s.tls.map {
                BoardTLS(handshakes: $0.handshakes, resumed: $0.resumed, versions: $0.versions, failures: $0.failures)
            },
            sites: s.sites.map(BoardSite.init))
    }
}

extension BoardSite {
    /// The counters of the site status `s`.
    init(_ s: SiteStatus) {
        self.init(
            name: s.name, requests: s.requests, byCode: s.byCode, bodyBytes: s.bodyBytes, responseBytes: s.responseBytes,
            durationCounts: s.durationCounts, durationSum: s.durationSum, rate: s.rateCounts, rateEnd: s.rateEndBucket)
    }
}
