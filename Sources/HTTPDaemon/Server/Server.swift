// Wires the pieces together on the loop thread: listeners, connections, the worker pool and its
// completion queue, the open-file cache, the cached Date header, signals and housekeeping.
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP server: owns every connection; runs on one event-loop thread.
public final class Server {
    let loop: EventLoop
    public private(set) var settings: ServerSettings
    var config: Configuration { settings.config }
    let log: ErrorLog
    var listeners: [Listener] = []
    var connections: [UInt64: Connection] = [:]
    var nextID: UInt64 = 1
    var pool: WorkerPool!
    var wakeup: Wakeup!
    var cache: FileCache
    var housekeeping: RepeatingTimer?
    var acceptRetry: Timer?
    var dateSecond = -1
    var dateText = ""
    var stopping = false

    /// Sets up the server on `loop` with already-bound listening sockets `listenFDs`.
    public init(loop: EventLoop, settings: ServerSettings, listenFDs: [Int32], log: ErrorLog) throws(StartupError) {
        self.loop = loop
        self.settings = settings
        self.log = log
        cache = FileCache(validity: settings.config.fileCacheValidity, capacity: settings.config.fileCacheEntries)
        wakeup = try Wakeup(loop) { [unowned self] in self.completeLookups() }
        pool = WorkerPool(size: settings.config.workers, wakeup: wakeup.signaller)
        for fd in listenFDs {
            listeners.append(Listener(loop, fd: fd, onAccept: { [unowned self] in self.accept($0) },
                                      onError: { [unowned self] in self.acceptFailed($0) }))
        }
        housekeeping = RepeatingTimer(loop, every: 1) { [unowned self] in
            self.cache.prune(now: EventLoop.monotonicSeconds())
        }
        acceptRetry = Timer(loop) { [unowned self] in self.updateAccepting() }
    }

    /// Runs the event loop until stopped.
    public func run() {
        loop.run()
    }

    /// Stops accepting and ends the loop (a graceful drain comes with the daemon life-cycle issue).
    public func stop() {
        stopping = true
        for l in listeners { l.disable() }
        for c in Array(connections.values) { c.close() }
        loop.stop()
    }

    // MARK: Connections

    func accept(_ fd: Int32) {
        if connections.count >= config.maxConnections || stopping {
            close(fd)
            updateAccepting()
            return
        }
        let id = nextID
        nextID += 1
        let connection = Connection(id: id, server: self, socket: BufferedSocket(loop, fd: fd))
        connections[id] = connection
        connection.start()
        updateAccepting()
    }

    /// accept() failed (EMFILE and the like): pause accepting for a moment instead of spinning.
    func acceptFailed(_ error: Int32) {
        log.log(.error, "accept failed: \(errnoText(error)); pausing accepts for 0.5 s")
        for l in listeners { l.disable() }
        acceptRetry?.schedule(after: 0.5)
    }

    /// Pauses listeners at MaxConnections and resumes them below it.
    func updateAccepting() {
        let full = connections.count >= config.maxConnections || stopping
        for l in listeners {
            if full { l.disable() } else { l.enable() }
        }
    }

    /// Called by a connection once it has closed.
    func remove(_ connection: Connection) {
        connections[connection.id] = nil
        if !(listeners.first?.enabled ?? true) { updateAccepting() }
    }

    // MARK: Files

    /// A fresh cached lookup of `path`, or nil.
    func cachedFile(_ path: String) -> FileResource? {
        cache.get(path, now: EventLoop.monotonicSeconds())
    }

    /// Looks `path` up on a worker; the result reaches the connection through `completeLookups`.
    func submitLookup(_ connection: Connection, _ path: String) {
        let settings = self.settings.lookup
        pool.submit(connection.id) { FileLookup.lookup(path, settings) }
    }

    /// Remembers a found file for the open-file cache.
    func remember(_ path: String, _ resource: FileResource) {
        cache.put(path, resource, now: EventLoop.monotonicSeconds())
    }

    /// Delivers finished lookups to their connections (those still open).
    func completeLookups() {
        for done in pool.drain() {
            connections[done.connectionID]?.lookupFinished(done.result)
        }
    }

    // MARK: Shared response pieces

    /// The Date header value, formatted once per second.
    func httpDate() -> String {
        let now = loop.nowSeconds()
        if now != dateSecond {
            dateSecond = now
            dateText = HTTPDate.format(now)
        }
        return dateText
    }
}
