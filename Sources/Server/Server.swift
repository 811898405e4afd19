// Wires the pieces together on the loop thread: listeners, connections, the worker pool and its
// completion queue, the open-file cache, the cached Date header, logs, reload and graceful stop.

public import Config
import Files
import HTTPCore
public import IO
public import Support
import TLS

#if canImport(Glibc)
    import Glibc
#endif

/// A bound listening socket, the address it was configured as (nil when inherited), and whether its
/// connections speak TLS.
public struct BoundListener {
    public var address: ListenAddress?
    public var fd: Int32
    public var tls: Bool

    public init(address: ListenAddress?, fd: Int32, tls: Bool? = nil) {
        self.address = address
        self.fd = fd
        self.tls = tls ?? address?.tls ?? false
    }
}

/// The HTTP server: owns every connection; runs on one event-loop thread.
public final class Server {
    let loop: EventLoop
    let clock: LoopClock
    /// The settings in force, replaced whole by a reload.
    private(set) var active: ActiveSettings
    public var settings: ServerSettings { active.settings }
    var config: Configuration { active.settings.config }
    public let log: ErrorLog
    public private(set) var accessLog: AccessLog?
    /// The logs sites name of their own.
    var siteLogs = SiteLogs()
    var listeners: [(address: ListenAddress?, listener: Listener)] = []
    /// TLS handshake counters (kept across reloads).
    let tlsStats = TLSStats()
    /// Replaces the newest session-ticket key every `TLSContext.ticketRotationSeconds` while TLS is configured.
    var ticketRotation: Timer!
    var connections: [UInt64: Connection] = [:]
    /// Connections per client address, and whether the server is under pressure.
    var admission = Admission()
    private(set) var underPressure = false
    var nextID: UInt64 = 1
    var pool: WorkerPool!
    var wakeup: Wakeup!
    var cache: FileCache
    /// What each connection waiting for a worker asked for, and under which settings (for the cache).
    var pendingLookups: [UInt64: (path: String, site: Int, settings: ActiveSettings)] = [:]
    /// Basic authentication's password files, cache and failure counts.
    let passwords = PasswordChecks()
    /// Request state lent to connections while they serve a request.
    let exchanges = ExchangePool()
    /// Once-a-second chores (flush the access log, prune the file cache), scheduled only while
    /// there is something to do, so an idle daemon never wakes up.
    var housekeeping: Timer!
    var housekeepingScheduled = false
    /// The most connections open at once since the heap was last trimmed (see `heapShouldShrink`).
    var connectionsPeak = 0
    /// A peak of connections that makes the heap worth trimming once they have closed.
    static let trimPeak = 256
    var acceptRetry: Timer!
    /// At MaxConnections: looks again when the oldest incomplete head may be evicted.
    var evictionCheck: Timer!
    /// After an accept() failure (EMFILE), accepting stays off until then (monotonic seconds).
    var acceptPausedUntil = 0.0
    /// Connections closed during this loop iteration, freed by `reaper` on the next one.
    var graveyard: [Connection] = []
    var reaper: Timer!
    var shutdownTimer: Timer!
    var dateSecond = -1
    var dateText = ""
    /// True once a graceful stop has begun: ReadyPath answers 503 and keep-alive ends.
    public private(set) var draining = false
    /// True once the listeners are closed (after DrainDelay): connections only finish.
    public private(set) var stopping = false
    var drainTimer: Timer!
    /// Closes the idle connections at the end of a hand-over's grace.
    var idleClose: Timer!
    /// When `idleClose` is due (monotonic seconds), once a stop or hand-over set it.
    var idleCloseDue: Double?
    /// Counters for the status endpoints.
    var stats = ServerStats()
    /// Each site's counters, in configuration order (`ResponseOutcome.site` indexes it).
    let siteStats = SiteStatsTable()
    /// Stand-alone or inetd, as status pages show it.
    public var mode = ServiceMode.standalone
    /// This process among its master's workers (or alone), as status pages show it; `started` is `startTime`.
    public let identity: WorkerIdentity
    let startTime: Int
    let startMonotonic: Double
    /// inetd "nowait": stop once the adopted connection has closed.
    public var exitWhenEmpty = false
    /// inetd "wait" style: stop after this many seconds without any connection.
    public var idleExit: Double?
    var idleTimer: Timer!
    /// Look files up on the loop thread instead of the worker pool (inetd mode: one connection, nothing
    /// to overlap with, and no worker threads to start in a process that lives for one connection).
    public var inlineLookups = false
    /// Listeners came from systemd or inetd, so `Listen` is not ours to change on reload.
    public var listenersInherited = false
    /// Configuration generation: 1 at start, +1 per successful reload.
    public private(set) var generation = 1
    /// The status board this worker publishes on (see `publishStatus(on:slot:)`); nil when it serves alone.
    var boardPublisher: BoardPublisher?
    /// The folder this process has changed its root to (`Chroot`), nil when it has not. Its settings then name
    /// files as seen from inside, and the configuration file and the log paths are out of its reach: `reload`
    /// refuses and `reopenLogs` only says so (the master, outside, is the one that can do either).
    public var chrootDirectory: String?

    /// A worker the master forked after it reloaded the configuration itself (several workers, Chroot)
    /// continues the master's count: generation `n`, reloaded now.
    public func continueGeneration(_ n: Int) {
        guard n > 1 else { return }
        generation = n
        stats.lastReload = loop.nowSeconds()
    }

    /// Sets up the server on `loop` with already-bound listening sockets; `identity` says which worker of which
    /// master it is (nil: a process that serves alone, started now).
    public init(
        loop: EventLoop, settings: ServerSettings, listeners bound: [BoundListener], log: ErrorLog,
        accessLog: AccessLog?, identity: WorkerIdentity? = nil
    ) throws(StartupError) {
        self.loop = loop
        self.clock = LoopClock(loop)
        self.active = ActiveSettings(settings)
        self.log = log
        self.accessLog = accessLog
        siteLogs = try SiteLogs.open(settings, previous: SiteLogs())
        self.identity = identity ?? WorkerIdentity(pid: getpid(), master: nil, started: loop.nowSeconds(), restarts: 0)
        startTime = self.identity.started
        startMonotonic = EventLoop.monotonicSeconds()
        cache = FileCache(validity: settings.config.fileCacheValidity, capacity: settings.config.fileCacheEntries)
        siteStats.configure(SiteStatsTable.sites(of: settings))
        wakeup = try Wakeup(loop) { [unowned self] in self.completeLookups() }
        pool = WorkerPool(size: settings.config.workers, limit: settings.config.workerQueueLimit, wakeup: wakeup.signaller)
        housekeeping = try Timer.make(loop, for: "housekeeping") { [unowned self] in self.houseKeep() }
        acceptRetry = try Timer.make(loop, for: "accept retry") { [unowned self] in
            // The pause is over when this fires (whatever our clock says to the microsecond).
            self.acceptPausedUntil = 0
            self.updateAccepting()
        }
        reaper = try Timer.make(loop, for: "reaper") { [unowned self] in self.graveyard.removeAll() }
        evictionCheck = try Timer.make(loop, for: "eviction check") { [unowned self] in
            self.admitWaiting()
            self.updateAccepting()
        }
        drainTimer = try Timer.make(loop, for: "drain") { [unowned self] in
            self.closeListeners(idleGrace: self.stopGrace)
        }
        idleClose = try Timer.make(loop, for: "idle close") { [unowned self] in
            for c in Array(self.connections.values) { c.closeIfIdle() }
        }
        shutdownTimer = try Timer.make(loop, for: "shutdown") { [unowned self] in
            self.log.log(.warn, "ShutdownTimeout passed: closing \(self.connections.count) connection(s)")
            for c in Array(self.connections.values) { c.close() }
            self.loop.stop()
        }
        idleTimer = try Timer.make(loop, for: "idle exit") { [unowned self] in
            if self.connections.isEmpty { self.loop.stop() }
        }
        ticketRotation = try Timer.make(loop, for: "session-ticket key rotation") { [unowned self] in
            TLSContext.rotateTicketKeys()
            self.scheduleTicketRotation()
        }
        scheduleTicketRotation()
        for (i, b) in bound.enumerated() {
            do throws(StartupError) {
                try addListener(makeListener(b))
            } catch {
                for rest in bound[(i + 1)...] { Glibc.close(rest.fd) }
                throw error
            }
        }
    }

    /// A Listener on the bound socket `b` (which it takes over, even when this throws).
    func makeListener(_ b: BoundListener, enabled: Bool = true) throws(StartupError) -> (ListenAddress?, Listener) {
        let kind = ListenerKind(tls: b.tls, address: b.address, port: Sockets.localPort(b.fd))
        let l = try Listener(
            loop, fd: b.fd, enabled: enabled,
            onAccept: { [unowned self] in self.accept($0, peer: $1, tls: kind.tls, address: kind.address, port: kind.port) },
            onError: { [unowned self] in self.acceptFailed($0) })
        tlsListeners[b.fd] = kind
        return (b.address, l)
    }

    /// Whether a listener's connections speak TLS, shared with its accept callback (a reload may switch a
    /// kept listener between plain and TLS); a box, so that an accept reads a field, not a dictionary.
    final class ListenerKind {
        var tls: Bool
        /// The `Listen` address it was bound for (nil: inherited), which picks the sites that answer on it.
        let address: ListenAddress?
        /// The port it is bound to (the real one when `Listen` asked for 0), for the access log's `%p`.
        let port: Int
        init(tls: Bool, address: ListenAddress?, port: Int) {
            self.tls = tls
            self.address = address
            self.port = port
        }
    }

    /// Each listening descriptor's kind.
    var tlsListeners: [Int32: ListenerKind] = [:]

    func addListener(_ entry: (ListenAddress?, Listener)) {
        listeners.append(entry)
        let scheme = tlsListeners[entry.1.fd]?.tls == true ? "https" : "http"
        log.log(.notice, "listening on \(scheme)://\(Sockets.localAddress(entry.1.fd))/")
    }

    /// Session-ticket keys rotate only while TLS with tickets is configured (an idle plain daemon never wakes).
    func scheduleTicketRotation() {
        if settings.tls != nil && config.tlsSessionTickets {
            ticketRotation.schedule(after: TLSContext.ticketRotationSeconds)
        } else {
            ticketRotation.cancel()
        }
    }

    /// Runs the event loop until the server has stopped.
    public func run() {
        scheduleIdleExit()
        loop.run()
        accessLog?.flush()
        siteLogs.flush()
        // The last counts, for the master to move into the retired store once it has reaped this worker.
        publishOnBoard()
    }

    // MARK: Life cycle

    /// Graceful stop (SIGTERM/SIGINT): ReadyPath turns 503 at once; after DrainDelay the listeners close, idle
    /// connections get `stopGrace` for a request already on its way (answered with `Connection: close`), then
    /// close; responses in flight finish (up to ShutdownTimeout), then the loop ends.
    public func beginShutdown() {
        guard !draining else {
            // Handed over (SIGWINCH), then stopped: idle connections had KeepAliveTimeout, a stop gives them its grace.
            if stopping { closeIdle(after: stopGrace) }
            return
        }
        draining = true
        boardChanged()
        if config.drainDelay > 0 {
            log.log(
                .notice, "draining: \(config.readyPath ?? "ReadyPath") answers 503; closing listeners in \(config.drainDelay) s")
            drainTimer.schedule(after: config.drainDelay)
        } else {
            closeListeners(idleGrace: stopGrace)
        }
    }

    /// How long a graceful stop leaves idle keep-alive connections (1 s, at most KeepAliveTimeout): closing them
    /// at once would race a request a client has just sent, which it would see as an error.
    var stopGrace: Double { min(config.keepAliveTimeout, 1) }

    /// Binary upgrade or a reload by new workers (SIGWINCH from the master): new workers accept on the same
    /// sockets now. This one stops accepting at once and answers what its connections still ask with
    /// `Connection: close`, closing each after that response; a connection between requests keeps its
    /// KeepAliveTimeout (closing it at once would race a request already on its way, which the client would see
    /// as an error) and closes when it expires, as any idle one does; the loop ends with the last connection.
    public func handOver() {
        guard !stopping else { return }
        draining = true
        boardChanged()
        drainTimer.cancel()
        log.log(.notice, "hand-over: new workers serve (upgrade or reload); this one stops accepting")
        closeListeners(idleGrace: config.keepAliveTimeout)
    }

    /// Closes the idle connections `seconds` from now, unless an earlier close is already due.
    func closeIdle(after seconds: Double) {
        let due = EventLoop.monotonicSeconds() + seconds
        if let set = idleCloseDue, set <= due { return }
        idleCloseDue = due
        idleClose.schedule(after: seconds)
    }

    /// Stops accepting; idle connections close at once, or after `idleGrace` seconds; the loop ends with the
    /// last connection (or at ShutdownTimeout).
    func closeListeners(idleGrace: Double) {
        guard !stopping else { return }
        stopping = true
        listeners.removeAll()
        for waiting in waitingForSlot { Glibc.close(waiting.fd) }
        waitingForSlot.removeAll()
        if idleGrace > 0 {
            closeIdle(after: idleGrace)
        } else {
            for c in Array(connections.values) { c.closeIfIdle() }
        }
        log.log(.notice, "stopping: \(connections.count) connection(s) finishing, at most \(config.shutdownTimeout) s")
        if connections.isEmpty {
            loop.stop()
            return
        }
        shutdownTimer.schedule(after: config.shutdownTimeout)
    }

    /// Applies a new, already checked configuration (SIGHUP). Everything that can fail (binding new
    /// addresses, opening new logs) is prepared first; on failure nothing changes (what was prepared is
    /// released: new listeners close their sockets) and the error is thrown.
    public func reload(_ new: ServerSettings) throws(StartupError) {
        if let chrootDirectory { throw StartupError("the configuration cannot be reloaded inside Chroot \(chrootDirectory)") }
        let old = config
        let prepared = try prepareReload(new)
        // Commit: nothing below can fail.
        accessLog?.flush()
        siteLogs.flush()
        accessLog = prepared.accessLog
        siteLogs = prepared.siteLogs
        let wanted = new.config.effectiveListen
        if listenersInherited && old.effectiveListen != wanted {
            log.log(.warn, "Listen changed, but the listening sockets were inherited (socket activation): not changed")
        }
        listeners.removeAll { entry in
            guard let a = entry.address, !wanted.contains(where: { $0.sameSocket(a) }) else { return false }
            log.log(.notice, "no longer listening on \(a)")
            return true
        }
        // A kept address whose `tls` changed switches in place (its socket stays bound).
        for i in listeners.indices {
            guard let a = listeners[i].address, let now = wanted.first(where: { $0.sameSocket(a) }), now.tls != a.tls
            else { continue }
            listeners[i].address = now
            tlsListeners[listeners[i].listener.fd]?.tls = now.tls
            log.log(.notice, "\(a) now speaks \(now.tls ? "TLS" : "plain HTTP")")
        }
        active = ActiveSettings(new)
        for entry in prepared.listeners { addListener(entry) }
        scheduleTicketRotation()
        for line in new.tls?.summary ?? [] { log.log(.info, "TLS certificate \(line)") }
        for finding in new.tls?.findings ?? [] { log.log(.warn, finding.message) }
        cache = FileCache(validity: new.config.fileCacheValidity, capacity: new.config.fileCacheEntries)
        pool.size = new.config.workers
        pool.limit = new.config.workerQueueLimit
        generation += 1
        stats.lastReload = loop.nowSeconds()
        siteStats.configure(SiteStatsTable.sites(of: new))
        boardChanged()
        for (name, was, now) in [
            ("PidFile", old.pidFile ?? "off", new.config.pidFile ?? "off"),
            ("User", old.user ?? "-", new.config.user ?? "-"),
            ("Daemon", "\(!old.foreground)", "\(!new.config.foreground)"),
        ] where was != now {
            log.log(.warn, "\(name) changed from \(was) to \(now): takes effect at the next start, not on reload")
        }
        updateAccepting()
    }

    /// What a reload needs that can fail, made before anything changes.
    struct PreparedReload {
        /// New listeners, not yet accepting (enabled by `updateAccepting` after the commit).
        var listeners: [(ListenAddress?, Listener)] = []
        var accessLog: AccessLog?
        var siteLogs = SiteLogs()
    }

    /// Binds the new `Listen` addresses, opens a changed access log and re-targets the error log (the
    /// last step, so nothing after it can fail); throws the first failure, releasing what was made.
    func prepareReload(_ new: ServerSettings) throws(StartupError) -> PreparedReload {
        var prepared = PreparedReload(accessLog: accessLog)
        let current = listeners.compactMap(\.address)
        for address in new.config.effectiveListen
        where !current.contains(where: { $0.sameSocket(address) }) && !listenersInherited {
            let fd = try Sockets.bindListener(host: address.host, port: address.port)
            prepared.listeners.append(try makeListener(BoundListener(address: address, fd: fd), enabled: false))
        }
        let oldLog = config.accessLog.map { "\($0.path) \($0.format)" }
        let newLog = new.config.accessLog.map { "\($0.path) \($0.format)" }
        if oldLog != newLog {
            prepared.accessLog = try new.config.accessLog.map { a throws(StartupError) in
                try AccessLog(path: a.path, format: a.format)
            }
        }
        prepared.siteLogs = try SiteLogs.open(new, previous: siteLogs)
        try log.reconfigure(level: new.config.logLevel, target: new.config.errorLog ?? log.target)
        return prepared
    }

    /// Reopens the log files (SIGUSR1, for logrotate); inside a `Chroot` the paths are out of reach: logs that.
    public func reopenLogs() {
        if let chrootDirectory {
            log.log(
                .notice,
                "log files not reopened: this process serves inside Chroot \(chrootDirectory) and cannot open their paths; "
                    + "restart httpd to start new files")
            return
        }
        do throws(StartupError) { try accessLog?.reopen() } catch { log.log(.error, error.description) }
        do throws(StartupError) { try log.reopen() } catch { log.log(.error, error.description) }
        for failure in siteLogs.reopen() { log.log(.error, failure.description) }
        log.log(.notice, "log files reopened")
    }

    // MARK: Connections

    /// Serves an already-connected socket (inetd mode: fd 0).
    public func adopt(_ fd: Int32, tls: Bool = false) {
        Sockets.prepareInherited(fd)
        Sockets.setNoDelay(fd)
        accept(fd, peer: Sockets.peerAddress(fd), tls: tls, port: Sockets.localPort(fd))
    }

    /// inetd "wait" style: stop when idle for `idleExit` seconds.
    func scheduleIdleExit() {
        guard let idleExit, connections.isEmpty else { return }
        idleTimer.schedule(after: idleExit)
    }

    /// Takes a new connection. At MaxConnections it takes the slot of the connection longest on an
    /// incomplete head; when none has had its grace yet, the new one waits (unread) until a slot frees.
    func accept(_ fd: Int32, peer: PeerAddress, tls: Bool, address: ListenAddress? = nil, port: Int = 0) {
        if stopping {
            Glibc.close(fd)
            updateAccepting()
            return
        }
        if connections.count >= config.maxConnections {
            guard let victim = evictionCandidate() else {
                if waitingForSlot.count < Self.maxWaitingForSlot {
                    waitingForSlot.append((fd, peer, tls, address, port))
                } else {
                    Glibc.close(fd)
                }
                updateAccepting()
                return
            }
            evict(victim)
        }
        open(fd, peer: peer, tls: tls, address: address, port: port)
        updateAccepting()
    }

    /// Accepted sockets waiting for a slot, oldest first (at most `maxWaitingForSlot`; the listener pauses).
    var waitingForSlot: [(fd: Int32, peer: PeerAddress, tls: Bool, address: ListenAddress?, port: Int)] = []
    static let maxWaitingForSlot = 64

    /// Closes `victim` to give its slot to a new client.
    func evict(_ victim: Connection) {
        stats.evicted += 1
        log.log(.info, "[client \(victim.peer)] evicted at MaxConnections: longest on an incomplete head")
        victim.close()
    }

    /// Gives the oldest waiting sockets the free slots, evicting slow heads for them when the server is full.
    func admitWaiting() {
        while !waitingForSlot.isEmpty && !stopping {
            if connections.count >= config.maxConnections {
                guard let victim = evictionCandidate() else { return }
                evict(victim)
                if connections.count >= config.maxConnections { return }  // the victim is not closed yet
            }
            let next = waitingForSlot.removeFirst()
            open(next.fd, peer: next.peer, tls: next.tls, address: next.address, port: next.port)
        }
    }

    /// Makes a connection of the accepted `fd` (come in on `address`, bound to `port`), unless its address
    /// already holds MaxConnectionsPerClient (then it is closed at once).
    func open(_ fd: Int32, peer accepted: PeerAddress, tls: Bool, address: ListenAddress?, port: Int) {
        guard let peer = admission.admit(accepted, limit: config.maxConnectionsPerClient) else {
            stats.refusedPerClient += 1
            boardChanged()
            log.log(.debug, "[client \(accepted)] refused: MaxConnectionsPerClient \(config.maxConnectionsPerClient) reached")
            Glibc.close(fd)
            return
        }
        let id = nextID
        nextID += 1
        stats.connectionsAccepted += 1
        boardChanged()
        // Stand-alone: libevent's records for this descriptor's block, made together (not in inetd mode,
        // which serves one connection).
        if mode == .standalone { loop.reserveDescriptors(covering: fd) }
        guard let socket = makeTransport(fd, tls: tls) else {
            log.log(.error, "cannot set up a connection (libevent events or OpenSSL): closing it")
            Glibc.close(fd)
            admission.release(peer)
            stats.connectionsHandled += 1
            return
        }
        guard
            let connection = Connection(
                id: id, host: self, clock: clock, transport: socket, peer: peer, listenAddress: address,
                localPort: port)
        else {
            log.log(.error, "cannot set up a connection (deadline timer): closing it")
            socket.close()
            admission.release(peer)
            stats.connectionsHandled += 1
            return
        }
        connections[id] = connection
        connectionsPeak = max(connectionsPeak, connections.count)
        idleTimer.cancel()
        updatePressure()
        connection.start()
    }

    /// The transport for an accepted socket: TLS over a TLS listener (with the certificates in force now), else plain.
    func makeTransport(_ fd: Int32, tls: Bool) -> (any Transport)? {
        guard tls else { return BufferedSocket(loop, fd: fd) }
        guard let context = settings.tls else { return nil }
        return TLSSocket(loop, fd: fd, context: context, stats: tlsStats)
    }

    /// Connections in the order their current head began: finding an eviction victim costs no scan.
    var heads = HeadQueue()

    func headStarted(_ connection: Connection) {
        heads.append(connection)
    }

    /// The connection that has spent longest on its current, incomplete head.
    func oldestHead() -> Connection? {
        heads.oldestReadingHead()
    }

    /// At MaxConnections, the connection that has spent longest on an incomplete head, if it has had at least
    /// `Admission.evictionGraceSeconds`: taking its slot, a new client waits at most as long as it took.
    func evictionCandidate() -> Connection? {
        guard let victim = oldestHead(),
            EventLoop.monotonicSeconds() - victim.headStarted >= Admission.evictionGraceSeconds
        else { return nil }
        return victim
    }

    /// Enters or leaves pressure as connections come and go; entering it shortens the deadline of every
    /// head still incomplete.
    func updatePressure() {
        let now = Admission.underPressure(open: connections.count, maxConnections: config.maxConnections)
        guard now != underPressure else { return }
        underPressure = now
        if now {
            log.log(
                .notice,
                "under pressure: \(connections.count) of \(config.maxConnections) connections open; request heads get "
                    + "\(Admission.pressureHeadSeconds) s")
            for c in Array(connections.values) { c.pressureBegan() }
        } else {
            log.log(.notice, "pressure over: \(connections.count) of \(config.maxConnections) connections open")
        }
    }

    /// accept() failed (EMFILE and the like): pause accepting for a moment instead of spinning.
    func acceptFailed(_ error: Int32) {
        log.log(.error, "accept failed: \(errnoText(error)); pausing accepts for 0.5 s")
        acceptPausedUntil = EventLoop.monotonicSeconds() + 0.5
        for l in listeners { l.listener.disable() }
        acceptRetry.schedule(after: 0.5)
    }

    /// Pauses listeners at MaxConnections (unless a connection on an incomplete head can make room) and
    /// resumes them below it, or when a connection's head has been incomplete long enough to be evicted.
    func updateAccepting() {
        let paused = EventLoop.monotonicSeconds() < acceptPausedUntil
        var atLimit = false
        if connections.count >= config.maxConnections && (evictionCandidate() == nil || !waitingForSlot.isEmpty) {
            atLimit = true
            if let oldest = oldestHead()?.headStarted {
                evictionCheck.schedule(
                    after: max(0, oldest + Admission.evictionGraceSeconds - EventLoop.monotonicSeconds()) + 0.001)
            }
        }
        let full = atLimit || stopping || paused
        for l in listeners {
            if full { l.listener.disable() } else { l.listener.enable() }
        }
    }

    /// Called by a connection once it has closed.
    func connectionClosed(_ id: UInt64) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        heads.remove(connection)
        admission.release(connection.peer)
        updatePressure()
        // A lookup still queued for it is no longer wanted: a worker skips it.
        if pendingLookups.removeValue(forKey: id) != nil || passwords.pending.removeValue(forKey: id) != nil {
            pool.cancel(id)
        }
        // Keep the object alive until the current callback (often one of its own events) has returned.
        if graveyard.isEmpty { reaper.schedule(after: 0) }
        graveyard.append(connection)
        stats.connectionsHandled += 1
        boardChanged()
        if heapShouldShrink { scheduleHousekeeping() }
        if exitWhenEmpty && connections.isEmpty {
            loop.stop()
            return
        }
        scheduleIdleExit()
        if stopping {
            if connections.isEmpty { loop.stop() }
            return
        }
        if !waitingForSlot.isEmpty { admitWaiting() }
        if !(listeners.first?.listener.enabled ?? true) { updateAccepting() }
    }

    /// A connection closes because its head was too slow under pressure.
    func connectionDropped() {
        stats.droppedUnderPressure += 1
    }

    // MARK: Files

    /// Runs one empty job so that Dispatch creates its worker machinery now, not under load.
    public func warmUpWorkers() {
        pool.warmUp()
    }

    /// The lookup of `path` under `settings` (the generation the request runs under): from the open-file
    /// cache, or done inline (inetd mode); otherwise submitted to a worker (nil), whose result reaches the
    /// connection through `completeLookups`. Only fresh results of the current generation enter the
    /// cache, so a cache hit never extends an entry's life and an old generation's lookup never fills it.
    func lookup(_ path: String, under settings: ActiveSettings, scope: ScopeSettings, site: Int, for connectionID: UInt64)
        -> LookupAnswer
    {
        let current = settings === active
        if current, let cached = cache.get(path, site: site, now: loop.cachedMonotonicSeconds()) { return .now(cached) }
        let lookupSettings = scope.lookup
        if inlineLookups {
            let result = FileLookup.lookup(path, lookupSettings)
            if current { remember(path, site: site, result) }
            return .now(result)
        }
        guard pool.submit(connectionID, { FileLookup.lookup(path, lookupSettings) }) else {
            return .busy(queued: pool.counts.queued)
        }
        pendingLookups[connectionID] = (path, site, settings)
        return .pending
    }

    /// Checks a Basic-authentication password: a success remembered in the cache (the file unchanged) answers
    /// at once; otherwise the file is checked and the password hashed on a worker (inline in inetd mode).
    func checkPassword(user: [UInt8], password: [UInt8], auth: AuthSettings, peer: PeerAddress, for connectionID: UInt64)
        -> PasswordAnswer
    {
        let store = passwords.store(auth.userFile)
        let requirement = PasswordChecks.requirement(auth.requirement)
        let now = loop.cachedMonotonicSeconds()
        let address: [UInt8]
        if case .ip(let bytes) = peer.kind { address = bytes } else { address = [] }
        if !store.needsCheck(now: now),
            passwords.cache.cachedOK(file: store.path, user: user, password: password, generation: store.generation, now: now)
        {
            var check = PasswordCheck(user: user, outcome: .ok, requirement: requirement)
            settle(&check, address: address)
            return .now(check)
        }
        let cache = passwords.cache
        if inlineLookups {
            var check = PasswordChecks.job(
                store: store, cache: cache, user: user, password: password, requirement: requirement, now: now)
            settle(&check, address: address)
            return .now(check)
        }
        guard
            pool.submit(
                connectionID,
                job: {
                    .password(
                        PasswordChecks.job(
                            store: store, cache: cache, user: user, password: password, requirement: requirement,
                            now: EventLoop.monotonicSeconds()))
                })
        else { return .busy(queued: pool.counts.queued) }
        passwords.pending[connectionID] = address
        return .pending
    }

    /// Logs what the password file's load found and counts the verdict (failures delay the next 401s).
    func settle(_ check: inout PasswordCheck, address: [UInt8]) {
        for report in check.reports { log.log(.warn, report) }
        passwords.settle(&check, address: address, now: loop.cachedMonotonicSeconds())
    }

    /// Keeps a freshly found file (or a directory listing) of `site` in the open-file cache.
    func remember(_ path: String, site: Int, _ result: LookupResult) {
        cache.put(path, site: site, result, now: loop.cachedMonotonicSeconds())
        if !cache.entries.isEmpty { scheduleHousekeeping() }
    }

    func scheduleHousekeeping() {
        guard !housekeepingScheduled else { return }
        housekeepingScheduled = true
        housekeeping.schedule(after: 1)
    }

    func houseKeep() {
        housekeepingScheduled = false
        cache.prune(now: EventLoop.monotonicSeconds())
        accessLog?.flush()
        siteLogs.flush()
        if heapShouldShrink { trimHeap() }
        if !cache.entries.isEmpty { scheduleHousekeeping() }
    }

    /// True once the open connections have fallen to half of a peak of at least `trimPeak` since the last
    /// trim: the memory those connections used is free but kept by malloc (nginx frees its connections'
    /// pools; glibc keeps freed blocks for reuse, and most lie between blocks still in use).
    var heapShouldShrink: Bool { Self.trimDue(open: connections.count, peak: connectionsPeak) }

    /// The rule of `heapShouldShrink`: `open` connections have fallen to half of `peak`, a peak of at least `trimPeak`.
    static func trimDue(open: Int, peak: Int) -> Bool {
        peak >= trimPeak && open * 2 <= peak
    }

    /// Gives the free heap back to the kernel (at most once a second, from housekeeping), and starts
    /// watching for the next peak.
    func trimHeap() {
        let started = EventLoop.monotonicSeconds()
        Malloc.trim()
        let us = Int((EventLoop.monotonicSeconds() - started) * 1e6)
        log.log(
            .debug, "heap trimmed in \(us) us: \(connections.count) connections open, \(connectionsPeak) at the peak")
        connectionsPeak = connections.count
    }

    /// Delivers finished lookups to their connections (those still open).
    func completeLookups() {
        for done in pool.drain() {
            stats.queueDelaySum += done.queueDelay
            stats.queueDelayCount += 1
            if case .password(var check) = done.job {
                let address = passwords.pending.removeValue(forKey: done.connectionID) ?? []
                settle(&check, address: address)
                connections[done.connectionID]?.passwordChecked(check)
                continue
            }
            if let (path, site, settings) = pendingLookups.removeValue(forKey: done.connectionID), settings === active {
                remember(path, site: site, done.result)
            }
            connections[done.connectionID]?.lookupFinished(done.result)
        }
    }

    // MARK: Shared response pieces

    /// The Date header value, formatted once per second.
    func dateHeader() -> String {
        let now = loop.nowSeconds()
        if now != dateSecond {
            dateSecond = now
            dateText = HTTPDate.format(now)
        }
        return dateText
    }

    /// This worker's own counters as they are now (StatusBoard adds the other workers' in `statusSnapshot()`).
    func ownSnapshot() -> StatusSnapshot {
        var reading = 0
        var writing = 0
        var waiting = 0
        var closing = 0
        for c in connections.values {
            switch c.monitorState {
            case .reading: reading += 1
            case .writing: writing += 1
            case .waiting: waiting += 1
            case .closing: closing += 1
            }
        }
        let pool = self.pool.counts
        let process = ProcessUsage.current()
        let now = loop.nowSeconds()
        var snapshot = StatusSnapshot(
            version: httpdVersion, mode: mode, pid: getpid(), ppid: getppid(), now: now, startTime: startTime,
            localNow: LocalTime(now), localStartTime: LocalTime(startTime),
            localLastReload: stats.lastReload.map { LocalTime($0) }, loadAverage: .current(),
            uptime: Int(EventLoop.monotonicSeconds() - startMonotonic), generation: generation, lastReload: stats.lastReload,
            draining: draining, connectionsAccepted: stats.connectionsAccepted, connectionsHandled: stats.connectionsHandled,
            connectionsRefusedPerClient: stats.refusedPerClient, connectionsEvicted: stats.evicted,
            connectionsDropped: stats.droppedUnderPressure, underPressure: underPressure,
            reading: reading, writing: writing, waiting: waiting, closing: closing, requests: stats.requests,
            byCode: stats.byCode, bodyBytes: stats.bodyBytes, responseBytes: stats.responseBytes,
            durationCounts: stats.durationCounts, durationSum: stats.durationSum, workers: self.pool.size,
            workersBusy: pool.busy, workersQueued: pool.queued, workersCompleted: pool.completed,
            workersRejected: pool.rejected, workersSkipped: pool.skipped,
            queueDelaySum: stats.queueDelaySum, queueDelayCount: stats.queueDelayCount,
            residentBytes: process.residentBytes, cpuUserSeconds: process.user, cpuSystemSeconds: process.system,
            maxConnections: config.maxConnections)
        snapshot.sites = siteStats.status(now: loop.cachedMonotonicSeconds())
        if !settings.authUserFiles.isEmpty || passwords.failed > 0 { snapshot.authFailures = passwords.failed }
        snapshot.workerProcesses = [WorkerProcessStatus(identity, localStarted: LocalTime(identity.started))]
        if let tls = settings.tls {
            snapshot.tls = TLSStatus(
                handshakes: tlsStats.handshakes, resumed: tlsStats.resumed, versions: tlsStats.versions,
                failures: tlsStats.failures, filePath: tlsStats.filePath, certificates: tls.summary)
        }
        return snapshot
    }

    /// True when responses are written to an access log (the server's or a site's).
    var logsAccess: Bool { accessLog != nil || siteLogs.any }

    /// Writes an error-log line when `level` is enabled.
    func log(_ level: LogLevel, _ message: @autoclosure () -> String) {
        log.log(level, message())
    }

    /// Writes an error-log line about a request for `site`: to the site's own `ErrorLog` when it has one.
    func log(_ level: LogLevel, site: Int, _ message: @autoclosure () -> String) {
        let own = site < siteLogs.errors.count ? siteLogs.errors[site] : nil
        (own ?? log).log(level, message())
    }

    /// Counts a finished response and writes its access-log line (in its site's own log when it has one).
    func responseFinished(_ outcome: ResponseOutcome) {
        if let entry = outcome.logEntry,
            let log = outcome.site < siteLogs.access.count ? siteLogs.access[outcome.site] ?? accessLog : accessLog
        {
            log.append(entry, now: loop.nowSeconds())
            scheduleHousekeeping()
        }
        stats.recordResponse(
            code: outcome.code, bodyBytes: outcome.bodyBytes, totalBytes: outcome.totalBytes, seconds: outcome.seconds)
        siteStats.site(at: outcome.site)?.record(
            code: outcome.code, bodyBytes: outcome.bodyBytes, totalBytes: outcome.totalBytes, seconds: outcome.seconds,
            now: outcome.end)
        boardChanged()
    }
}

extension Server: ConnectionHost {}
