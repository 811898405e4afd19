// The server-wide counters behind /server-status and /metrics, owned by the loop thread, and the
// Sendable snapshot (with each site's counters) that the pure renderers (StatusPages) turn into text.

public import Support

/// Request-duration histogram bucket bounds in seconds (Prometheus `le`).
public let durationBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/// Counters updated as connections and requests come and go (loop thread only).
struct ServerStats {
    var connectionsAccepted = 0
    var connectionsHandled = 0
    /// Connections closed at once because their address already held MaxConnectionsPerClient.
    var refusedPerClient = 0
    /// Connections closed at MaxConnections to make room, being the longest on an incomplete head.
    var evicted = 0
    /// Connections dropped under pressure because their head did not arrive in time.
    var droppedUnderPressure = 0
    var requests = 0
    /// Responses by status code (100-599), one slot each: counting one is an index, not a hash.
    var codeCounts = [Int](repeating: 0, count: 600)
    /// Responses by status code, the codes seen only.
    var byCode: [Int: Int] {
        var counts: [Int: Int] = [:]
        for (code, n) in codeCounts.enumerated() where n > 0 { counts[code] = n }
        return counts
    }
    /// Body bytes sent (Apache's Total kBytes) and whole responses (head + body).
    var bodyBytes = 0
    var responseBytes = 0
    /// Cumulative counts per `durationBuckets` entry, plus the sum of all durations.
    var durationCounts = [Int](repeating: 0, count: durationBuckets.count)
    var durationSum = 0.0
    var queueDelaySum = 0.0
    var queueDelayCount = 0
    var lastReload: Int?

    mutating func recordResponse(code: Int, bodyBytes: Int, totalBytes: Int, seconds: Double) {
        requests += 1
        codeCounts[min(max(code, 0), codeCounts.count - 1)] += 1
        self.bodyBytes += bodyBytes
        responseBytes += totalBytes
        durationSum += seconds
        for (i, bound) in durationBuckets.enumerated() where seconds <= bound {
            durationCounts[i] += 1
        }
    }
}

/// How the process serves: on its own listening sockets, or on the socket inetd (or systemd) passed as fd 0.
public enum ServiceMode: String, Sendable, Equatable {
    case standalone
    case inetd
}

/// TLS counters and state, as status pages show them (only when TLS is configured).
public struct TLSStatus: Sendable, Equatable {
    public var handshakes: Int
    public var resumed: Int
    /// Completed handshakes by protocol version.
    public var versions: [String: Int]
    /// Failed handshakes by reason.
    public var failures: [String: Int]
    /// How file bodies are encrypted and sent: `kTLS sendfile` or `pread+SSL_write`.
    public var filePath: String
    /// One line per certificate: file, subject, names, expiry, serial.
    public var certificates: [String]

    public init(
        handshakes: Int, resumed: Int, versions: [String: Int], failures: [String: Int], filePath: String,
        certificates: [String]
    ) {
        self.handshakes = handshakes
        self.resumed = resumed
        self.versions = versions
        self.failures = failures
        self.filePath = filePath
        self.certificates = certificates
    }

    public var failureCount: Int { failures.values.reduce(0, +) }
}

/// One site's counters, as status pages show them (see SiteStats).
public struct SiteStatus: Sendable, Equatable {
    public var name: String
    public var aliases: [String]
    /// The site's document root.
    public var root: String
    public var requests: Int
    /// Responses by status code, the codes seen only.
    public var byCode: [Int: Int]
    public var bodyBytes: Int
    public var responseBytes: Int
    /// Cumulative counts per `durationBuckets` entry (Prometheus `le`), and the sum of all durations.
    public var durationCounts: [Int]
    public var durationSum: Double
    /// Requests per bucket of `rateBucketSeconds` over the last 15 minutes, oldest first; the last bucket is
    /// the one under way, of which `rateElapsed` seconds have passed.
    public var rateCounts: [Int]
    public var rateBucketSeconds: Int
    public var rateElapsed: Double
    /// The number of the last bucket of `rateCounts` (monotonic seconds / `rateBucketSeconds`), the same in
    /// every process at the same moment: what lines up the histories of several workers.
    public var rateEndBucket = 0

    public init(
        name: String, aliases: [String], root: String, requests: Int, byCode: [Int: Int], bodyBytes: Int,
        responseBytes: Int, durationCounts: [Int], durationSum: Double, rateCounts: [Int], rateBucketSeconds: Int,
        rateElapsed: Double
    ) {
        self.name = name
        self.aliases = aliases
        self.root = root
        self.requests = requests
        self.byCode = byCode
        self.bodyBytes = bodyBytes
        self.responseBytes = responseBytes
        self.durationCounts = durationCounts
        self.durationSum = durationSum
        self.rateCounts = rateCounts
        self.rateBucketSeconds = rateBucketSeconds
        self.rateElapsed = rateElapsed
    }

    /// Responses whose status is in class `n`xx.
    public func statusClass(_ n: Int) -> Int {
        byCode.reduce(0) { $0 + ($1.key / 100 == n ? $1.value : 0) }
    }

    /// Responses per duration bucket, not cumulative: one per `durationBuckets` entry, then those slower
    /// than the last bound.
    public var durationBucketCounts: [Int] {
        var out: [Int] = []
        var below = 0
        for c in durationCounts {
            out.append(c - below)
            below = c
        }
        out.append(requests - below)
        return out
    }

    /// Requests per second in each bucket of `rateCounts`; the bucket under way counts over the seconds
    /// passed (at least one, so that its first request is no spike).
    public var ratePerSecond: [Double] {
        let width = Double(max(rateBucketSeconds, 1))
        var out = rateCounts.map { Double($0) / width }
        if let last = rateCounts.last { out[out.count - 1] = Double(last) / min(max(rateElapsed, 1), width) }
        return out
    }
}

/// Everything the status renderers show, frozen at one moment.
public struct StatusSnapshot: Sendable {
    /// TLS counters; nil when no TLS is configured.
    public var tls: TLSStatus? = nil
    /// Each site's counters, in configuration order.
    public var sites: [SiteStatus] = []
    /// Basic-authentication logins refused since start (wrong password, unknown user, not admitted), or nil
    /// when no site asks for a password.
    public var authFailures: Int? = nil
    /// The worker processes the snapshot describes, in slot order: today the one it comes from.
    public var workerProcesses: [WorkerProcessStatus] = []
    public var version: String
    public var mode: ServiceMode
    public var pid: Int32
    public var ppid: Int32
    /// Unix seconds: now, and when the server started.
    public var now: Int
    public var startTime: Int
    /// `now`, `startTime` and `lastReload` in local time, as the HTML and `?auto` pages print them.
    public var localNow: LocalTime
    public var localStartTime: LocalTime
    public var localLastReload: LocalTime?
    public var loadAverage: LoadAverage
    public var uptime: Int
    /// Unix seconds since when the counters count when they are the totals of a master's workers (when the master
    /// made its status board); nil when they are this process's own, counted since `startTime`.
    public var countersSince: Int? = nil
    public var generation: Int
    public var lastReload: Int?
    public var draining: Bool
    public var connectionsAccepted: Int
    public var connectionsHandled: Int
    /// Refused at once (MaxConnectionsPerClient), evicted at MaxConnections, dropped under pressure.
    public var connectionsRefusedPerClient: Int
    public var connectionsEvicted: Int
    public var connectionsDropped: Int
    /// Above 80 % of MaxConnections: request heads get 2 s.
    public var underPressure: Bool
    /// Open connections by state: reading (head or body), writing (incl. waiting for a worker), waiting (keep-alive), closing.
    public var reading: Int
    public var writing: Int
    public var waiting: Int
    public var closing: Int
    public var requests: Int
    public var byCode: [Int: Int]
    public var bodyBytes: Int
    public var responseBytes: Int
    public var durationCounts: [Int]
    public var durationSum: Double
    public var workers: Int
    public var workersBusy: Int
    public var workersQueued: Int
    public var workersCompleted: Int
    /// Lookups refused because the worker queue was full (answered 503).
    public var workersRejected: Int
    /// Queued lookups dropped unread because their client had left.
    public var workersSkipped: Int
    public var queueDelaySum: Double
    public var queueDelayCount: Int
    public var residentBytes: Int
    public var cpuUserSeconds: Double
    public var cpuSystemSeconds: Double
    public var maxConnections: Int

    public init(
        version: String, mode: ServiceMode, pid: Int32, ppid: Int32, now: Int, startTime: Int, localNow: LocalTime,
        localStartTime: LocalTime, localLastReload: LocalTime?, loadAverage: LoadAverage, uptime: Int, generation: Int,
        lastReload: Int?, draining: Bool, connectionsAccepted: Int, connectionsHandled: Int,
        connectionsRefusedPerClient: Int, connectionsEvicted: Int, connectionsDropped: Int, underPressure: Bool, reading: Int,
        writing: Int, waiting: Int, closing: Int, requests: Int, byCode: [Int: Int], bodyBytes: Int,
        responseBytes: Int, durationCounts: [Int], durationSum: Double, workers: Int, workersBusy: Int,
        workersQueued: Int, workersCompleted: Int, workersRejected: Int, workersSkipped: Int, queueDelaySum: Double,
        queueDelayCount: Int,
        residentBytes: Int, cpuUserSeconds: Double, cpuSystemSeconds: Double, maxConnections: Int
    ) {
        self.version = version
        self.mode = mode
        self.pid = pid
        self.ppid = ppid
        self.now = now
        self.startTime = startTime
        self.localNow = localNow
        self.localStartTime = localStartTime
        self.localLastReload = localLastReload
        self.loadAverage = loadAverage
        self.uptime = uptime
        self.generation = generation
        self.lastReload = lastReload
        self.draining = draining
        self.connectionsAccepted = connectionsAccepted
        self.connectionsHandled = connectionsHandled
        self.connectionsRefusedPerClient = connectionsRefusedPerClient
        self.connectionsEvicted = connectionsEvicted
        self.connectionsDropped = connectionsDropped
        self.underPressure = underPressure
        self.reading = reading
        self.writing = writing
        self.waiting = waiting
        self.closing = closing
        self.requests = requests
        self.byCode = byCode
        self.bodyBytes = bodyBytes
        self.responseBytes = responseBytes
        self.durationCounts = durationCounts
        self.durationSum = durationSum
        self.workers = workers
        self.workersBusy = workersBusy
        self.workersQueued = workersQueued
        self.workersCompleted = workersCompleted
        self.workersRejected = workersRejected
        self.workersSkipped = workersSkipped
        self.queueDelaySum = queueDelaySum
        self.queueDelayCount = queueDelayCount
        self.residentBytes = residentBytes
        self.cpuUserSeconds = cpuUserSeconds
        self.cpuSystemSeconds = cpuSystemSeconds
        self.maxConnections = maxConnections
    }

    /// Open connections.
    public var active: Int { reading + writing + waiting + closing }

    /// Responses whose status is in class `n`xx.
    public func statusClass(_ n: Int) -> Int {
        byCode.reduce(0) { $0 + ($1.key / 100 == n ? $1.value : 0) }
    }
}
