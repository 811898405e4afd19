// What a connection needs from the server that owns it (settings, clock, lookups, "response
// finished", "closed"), as protocols: the Server is the host in the daemon, unit tests use a fake host
// with a manual clock and drive a Connection through an in-memory Transport.

import Config
import Files
import IO
import Support

/// The settings in force for one configuration generation, shared by reference so that a connection
/// takes them once per request (a reload replaces the object; requests under way keep theirs).
final class ActiveSettings: Sendable {
    let settings: ServerSettings
    /// `settings.sites` and `StrictHostCheck`, kept apart: a request reads them without touching (or
    /// copying) the whole settings value.
    let sites: [SiteSettings]
    let strictHostCheck: Bool

    init(_ settings: ServerSettings) {
        self.settings = settings
        sites = settings.sites
        strictHostCheck = settings.config.strictHostCheck
    }
}

/// Time as a connection sees it: a monotonic clock, one-shot timers that fire on the loop thread, and the
/// queue that keeps every connection's deadline on one of them.
protocol ConnectionClock: AnyObject {
    /// Monotonic seconds (deadlines, durations).
    func now() -> Double
    /// A one-shot timer that calls `fire`; nil when none can be made.
    func makeTimer(_ fire: @escaping () -> Void) -> (any DeadlineTimer)?
    /// The connections' deadlines, on one timer of this clock; nil when it could not be made (a new
    /// connection then closes).
    var deadlines: DeadlineQueue? { get }
}

/// A one-shot timer.
protocol DeadlineTimer: AnyObject {
    /// Fires once after `seconds`, replacing any earlier schedule.
    func schedule(after seconds: Double)
    func cancel()
}

extension Timer: DeadlineTimer {}

/// The real clock: CLOCK_MONOTONIC read once per loop iteration, and libevent timers on `loop`.
final class LoopClock: ConnectionClock {
    let loop: EventLoop
    private(set) lazy var deadlines: DeadlineQueue? = DeadlineQueue(clock: self)

    init(_ loop: EventLoop) { self.loop = loop }

    func now() -> Double { loop.cachedMonotonicSeconds() }

    func makeTimer(_ fire: @escaping () -> Void) -> (any DeadlineTimer)? { Timer(loop, fire) }
}

/// What one response amounted to, for the statistics and the access log.
struct ResponseOutcome {
    var code: Int
    /// Body bytes that reached the kernel (all of them unless the connection closed early).
    var bodyBytes: Int
    /// Head and body bytes that reached the kernel.
    var totalBytes: Int
    /// From the request's complete head (or the error) until the response drained or the connection closed.
    var seconds: Double
    /// The access-log line, when the host logs access and this request is not exempt.
    var logEntry: AccessLogEntry?
    /// The site it answered for: its index in the settings' `sites` (0: the main server, monitoring), which
    /// is its index in the host's `SiteStatsTable` too.
    var site: Int = 0
    /// When it ended, on the connection clock's monotonic scale (the per-site rate history counts it then).
    var end: Double = 0
}

/// What became of a lookup request.
enum LookupAnswer {
    /// The result, known at once.
    case now(LookupResult)
    /// A worker will answer.
    case pending
    /// The worker queue is full (this many lookups wait): answer 503 now.
    case busy(queued: Int)
}

/// What became of a password check.
enum PasswordAnswer {
    case now(PasswordCheck)
    case pending
    case busy(queued: Int)
}

/// The server side of a connection. Every call happens on the loop thread.
protocol ConnectionHost: AnyObject {
    /// The settings for the next request.
    var active: ActiveSettings { get }
    /// True once a graceful stop has begun: readiness answers 503, keep-alive ends.
    var draining: Bool { get }
    /// True while so many connections are open that request heads get `Admission.pressureHeadSeconds`.
    var underPressure: Bool { get }
    /// True when responses go to an access log (so connections build log entries).
    var logsAccess: Bool { get }
    /// Exchanges lent to connections for the requests they serve.
    var exchanges: ExchangePool { get }
    /// The `Date` header value for now.
    func dateHeader() -> String
    /// Writes an error-log line when `level` is enabled.
    func log(_ level: LogLevel, _ message: @autoclosure () -> String)
    /// Writes an error-log line about a request for `site` (its own `ErrorLog`, else the server's).
    func log(_ level: LogLevel, site: Int, _ message: @autoclosure () -> String)
    /// The counters as they are now, for the status endpoints.
    func statusSnapshot() -> StatusSnapshot
    /// Looks `path` up under `settings` (the request's generation): known at once (open-file cache, or
    /// inline in inetd mode), handed to a worker (the result arrives later through
    /// `Connection.lookupFinished`), or refused because the worker queue is full. The host decides what
    /// enters its cache.
    func lookup(_ path: String, under settings: ActiveSettings, scope: ScopeSettings, site: Int, for connectionID: UInt64)
        -> LookupAnswer
    /// Checks a Basic-authentication password for `auth`: known at once (recently verified, or inline in inetd
    /// mode), handed to a worker (the verdict arrives through `Connection.passwordChecked`), or refused
    /// because the worker queue is full.
    func checkPassword(user: [UInt8], password: [UInt8], auth: AuthSettings, peer: PeerAddress, for connectionID: UInt64)
        -> PasswordAnswer
    /// One response has ended (sent, or cut short by a close).
    func responseFinished(_ outcome: ResponseOutcome)
    /// The connection has closed; the host drops it (after the current callback returns).
    func connectionClosed(_ id: UInt64)
    /// The connection is closing because its head was too slow under pressure (counted for the status).
    func connectionDropped()
    /// The connection is waiting for (the rest of) a request head begun at its `headStarted`; eviction at
    /// MaxConnections takes the oldest such connection first. Told once per head, and not for a head
    /// that arrived whole.
    func headStarted(_ connection: Connection)
}
