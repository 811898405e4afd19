// Drives a Connection without sockets or an event loop: an in-memory Transport, a manual clock whose
// timers fire only when the test advances time, and a fake host that records what the server would do.

import Testing

@testable import Auth
@testable import Config
@testable import Files
@testable import HTTPCore
@testable import IO
@testable import Server
@testable import Support

#if canImport(Glibc)
    import Glibc
#endif

/// A clock that stands still until `advance(by:)`, which fires due timers in deadline order.
final class ManualClock: ConnectionClock {
    private(set) var time = 1000.0
    private var timers: [WeakTimer] = []

    struct WeakTimer { weak var timer: ManualTimer? }

    private(set) lazy var deadlines: DeadlineQueue? = DeadlineQueue(clock: self)

    func now() -> Double { time }

    func makeTimer(_ fire: @escaping () -> Void) -> (any DeadlineTimer)? {
        let timer = ManualTimer(clock: self, fire: fire)
        timers.append(WeakTimer(timer: timer))
        return timer
    }

    /// Moves time forward by `seconds`, firing every timer that falls due on the way, earliest first.
    func advance(by seconds: Double) {
        let target = time + seconds
        while let next = timers.compactMap(\.timer).filter({ ($0.due ?? .infinity) <= target }).min(by: { $0.due! < $1.due! }) {
            time = max(time, next.due!)
            next.due = nil
            next.fire()
        }
        time = target
    }
}

/// A one-shot timer of a ManualClock.
final class ManualTimer: DeadlineTimer {
    unowned let clock: ManualClock
    let fire: () -> Void
    /// When it fires, or nil when not scheduled.
    var due: Double?

    init(clock: ManualClock, fire: @escaping () -> Void) {
        self.clock = clock
        self.fire = fire
    }

    func schedule(after seconds: Double) { due = clock.time + seconds }
    func cancel() { due = nil }
}

/// A transport whose "kernel" is the test: the client writes into `input`, and the server's queued
/// output moves to `sent` as fast as `window` allows (nil: at once, as a fast reader). File regions are
/// read when they move, as sendfile reads them, so a descriptor closed while queued is caught.
final class MemoryTransport: Transport {
    /// Queued output: bytes, or a region of a file segment still to be read.
    enum Chunk {
        case bytes([UInt8])
        case file(FileSegment, offset: Int, length: Int)

        var count: Int {
            switch self {
            case .bytes(let b): b.count
            case .file(_, _, let length): length
            }
        }
    }

    weak var delegate: (any TransportDelegate)?
    var peer = PeerAddress(numeric: "192.0.2.7")
    private(set) var input: [UInt8] = []
    /// Queued output not yet taken by the client.
    private(set) var output: [Chunk] = []
    /// Output the client has received.
    var sent: [UInt8] = []
    /// Bytes the client will still take before it stops reading (nil: no limit).
    var window: Int?
    /// When set, flushing fails with this errno (a reset connection).
    var writeError: Int32?
    /// A TLS transport's handshake begun and not complete (plain TCP: never).
    var handshakeInProgress = false
    /// The TLS session, as a TLS transport reports it once its handshake completed (nil: plain TCP).
    var security: TransportSecurity?
    private(set) var readingEnabled = false
    private(set) var writeShut = false
    private(set) var closed = false
    private(set) var clientClosed = false
    private var writePending = false

    // MARK: The client's side

    /// The client sends `bytes`; the connection hears of them when it reads.
    func receive(_ bytes: [UInt8]) {
        #expect(!clientClosed, "the client sends after closing")
        input += bytes
        if readingEnabled && !closed { delegate?.transportReadable() }
    }

    func receive(_ text: String) { receive(Array(text.utf8)) }

    /// The client half-closes (FIN).
    func clientCloses() {
        clientClosed = true
        if !closed { delegate?.transportFailed(.eof) }
    }

    /// The connection breaks (a reset): the transport reports the error, as BufferedSocket does.
    func breaks(_ code: Int32) {
        if !closed { delegate?.transportFailed(.error(code)) }
    }

    /// The client reads `count` more bytes (after a stall): output moves, then progress or drain is reported.
    func clientReads(_ count: Int) {
        window = (window ?? 0) + count
        guard writePending, !closed else { return }
        let before = outputCount
        move()
        if output.isEmpty {
            writePending = false
            delegate?.transportDrained()
        } else if outputCount < before {
            delegate?.transportProgressed()
        }
    }

    /// Everything sent so far as text (UTF-8), and clears it.
    func takeSent() -> String {
        defer { sent = [] }
        return String(decoding: sent, as: UTF8.self)
    }

    // MARK: Transport

    var inputCount: Int { input.count }
    var outputCount: Int { output.reduce(0) { $0 + $1.count } }

    func inputPending() -> Bool { !input.isEmpty }

    /// How often the connection let the buffers go between requests.
    private(set) var buffersReleased = 0
    func releaseIdleBuffers() { buffersReleased += 1 }

    func withInput<T>(upTo limit: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        input.prefix(limit).withUnsafeBytes(body)
    }

    func consumeInput(_ count: Int) { input.removeFirst(count) }

    func write(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count > 0 { output.append(.bytes(Array(bytes))) }
    }

    func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) {
        write(first)
        write(second)
    }

    func write(_ segment: FileSegment, offset: Int, length: Int) -> Bool {
        guard offset >= 0, length >= 0, offset + length <= segment.length else { return false }
        if length > 0 { output.append(.file(segment, offset: offset, length: length)) }
        return true
    }

    func flush() -> FlushResult {
        if let writeError { return .failed(writeError) }
        move()
        if output.isEmpty { return .drained }
        writePending = true
        return .pending
    }

    func enableReading() { readingEnabled = true }
    func disableReading() { readingEnabled = false }
    func shutdownWrite() { writeShut = true }

    func close() {
        closed = true
        output = []
    }

    /// Moves up to `window` bytes to the client, reading file regions now (as sendfile does).
    private func move() {
        var budget = window ?? Int.max
        while budget > 0, let first = output.first {
            let n = min(budget, first.count)
            switch first {
            case .bytes(let b):
                sent += b[0..<n]
                if n == b.count { output.removeFirst() } else { output[0] = .bytes(Array(b[n...])) }
            case .file(let segment, let offset, let length):
                #expect(fcntl(segment.fd, F_GETFD) != -1, "a queued file segment's descriptor was closed")
                var buffer = [UInt8](repeating: 0, count: n)
                let got = buffer.withUnsafeMutableBytes { pread(segment.fd, $0.baseAddress, n, off_t(offset)) }
                #expect(got == n, "short read from a queued file segment")
                sent += buffer
                if n == length {
                    output.removeFirst()
                } else {
                    output[0] = .file(segment, offset: offset + n, length: length - n)
                }
            }
            budget -= n
        }
        if window != nil { window = budget }
    }
}

/// A host that serves files from a dictionary (at once, or when the test completes the lookup) and
/// records logs, finished responses and closes.
final class FakeHost: ConnectionHost {
    var active: ActiveSettings
    var draining = false
    var underPressure = false
    var logsAccess = true
    private(set) var dropped = 0
    var files: [String: LookupResult] = [:]
    /// When true, lookups wait for `completeLookup` (a worker); otherwise they answer at once (the cache).
    var deferLookups = false
    /// When set, every lookup is refused as if this many were queued.
    var queueFull: Int?
    private(set) var pendingLookups: [(path: String, id: UInt64)] = []
    /// The settings each lookup ran under.
    private(set) var lookupGenerations: [ObjectIdentifier] = []
    private(set) var logs: [(level: LogLevel, message: String)] = []
    private(set) var outcomes: [ResponseOutcome] = []
    private(set) var closedIDs: [UInt64] = []
    var connection: Connection?

    static let date = "Sat, 28 Nov 2026 12:00:00 GMT"

    init(_ configure: (inout Configuration) -> Void = { _ in }) throws {
        var config = Configuration()
        config.documentRoot = "/"
        config.typesConfig = ""
        configure(&config)
        active = ActiveSettings(try ServerSettings.make(config))
    }

    /// Settings read from configuration text (`DocumentRoot /` and the built-in types unless it says
    /// otherwise), which must have no error.
    convenience init(config text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var errors: [String] = []
        try self.init { config in
            errors = ConfigReader(baseDirectory: "/etc/httpd").apply(text, file: "httpd.conf", to: &config).map(\.description)
        }
        #expect(errors == [], sourceLocation: sourceLocation)
    }

    /// Replaces the settings, as a reload does.
    func reload(_ configure: (inout Configuration) -> Void) throws {
        var config = active.settings.config
        configure(&config)
        active = ActiveSettings(try ServerSettings.make(config))
    }

    func dateHeader() -> String { Self.date }

    func log(_ level: LogLevel, _ message: @autoclosure () -> String) { logs.append((level, message())) }

    func log(_ level: LogLevel, site: Int, _ message: @autoclosure () -> String) {
        logs.append((level, message()))
        logSites.append(site)
    }

    /// The site of each line logged about a request (`log(_:site:_:)`), in order.
    private(set) var logSites: [Int] = []

    /// Passwords the fake accepts (user → password); a check waits for `completePassword` when `deferLookups`.
    var passwords: [String: String] = [:]
    /// Seconds the fake asks a failed login to wait before its 401.
    var failureDelay = 0.0
    private(set) var pendingPasswords: [PasswordCheck] = []

    func checkPassword(user: [UInt8], password: [UInt8], auth: AuthSettings, peer: PeerAddress, for connectionID: UInt64)
        -> PasswordAnswer
    {
        let right = passwords[String(decoding: user, as: UTF8.self)].map { Array($0.utf8) == password } ?? false
        // The verdict as the server makes it from the store's outcome (Require, the user's text).
        var check = PasswordCheck(
            user: user, outcome: right ? .ok : .wrongPassword, requirement: PasswordChecks.requirement(auth.requirement))
        if !check.passed { check.delay = failureDelay }
        if deferLookups {
            pendingPasswords.append(check)
            return .pending
        }
        return .now(check)
    }

    /// The worker's verdict on the oldest pending password check arrives.
    func completePassword() {
        connection?.passwordChecked(pendingPasswords.removeFirst())
    }

    func statusSnapshot() -> StatusSnapshot {
        StatusSnapshot(
            version: httpdVersion, mode: .standalone, pid: 1, ppid: 1, now: 0, startTime: 0, localNow: LocalTime(0),
            localStartTime: LocalTime(0), localLastReload: nil, loadAverage: LoadAverage(one: 0, five: 0, fifteen: 0),
            uptime: 0, generation: 1,
            lastReload: nil, draining: draining, connectionsAccepted: 1, connectionsHandled: 0,
            connectionsRefusedPerClient: 0, connectionsEvicted: 0, connectionsDropped: 0, underPressure: underPressure,
            reading: 0, writing: 1,
            waiting: 0, closing: 0, requests: 0, byCode: [:], bodyBytes: 0, responseBytes: 0,
            durationCounts: durationBuckets.map { _ in 0 }, durationSum: 0, workers: 1, workersBusy: 0, workersQueued: 0,
            workersCompleted: 0, workersRejected: 0, workersSkipped: 0, queueDelaySum: 0, queueDelayCount: 0, residentBytes: 0,
            cpuUserSeconds: 0,
            cpuSystemSeconds: 0, maxConnections: 1)
    }

    /// The site of each lookup (index in the settings' `sites`).
    private(set) var lookupSites: [Int] = []
    /// The path of each lookup, in order.
    private(set) var lookupPaths: [String] = []
    /// Files per site other than the main server's (site index → path → result).
    var siteFiles: [Int: [String: LookupResult]] = [:]

    func lookup(_ path: String, under settings: ActiveSettings, scope: ScopeSettings, site: Int, for connectionID: UInt64)
        -> LookupAnswer
    {
        lookupGenerations.append(ObjectIdentifier(settings))
        lookupSites.append(site)
        lookupPaths.append(path)
        if let files = siteFiles[site] { return .now(files[path] ?? .failure(.notFound, "no \(path) in site \(site)")) }
        if let queueFull { return .busy(queued: queueFull) }
        if deferLookups {
            pendingLookups.append((path, connectionID))
            return .pending
        }
        return .now(files[path] ?? .failure(.notFound, "no \(path)"))
    }

    /// The worker's answer for the oldest pending lookup arrives.
    func completeLookup() {
        let (path, _) = pendingLookups.removeFirst()
        connection?.lookupFinished(files[path] ?? .failure(.notFound, "no \(path)"))
    }

    func responseFinished(_ outcome: ResponseOutcome) { outcomes.append(outcome) }

    func connectionClosed(_ id: UInt64) { closedIDs.append(id) }

    func connectionDropped() { dropped += 1 }

    let exchanges = ExchangePool()

    private(set) var headStarts: [Double] = []
    func headStarted(_ connection: Connection) { headStarts.append(connection.headStarted) }
}

/// A connection, its transport, host and clock, started and reading.
struct Harness {
    let host: FakeHost
    let clock = ManualClock()
    let transport = MemoryTransport()
    let connection: Connection

    init(_ configure: (inout Configuration) -> Void = { _ in }) throws {
        try self.init(host: FakeHost(configure))
    }

    /// A connection to a host configured by `text`, accepted on `listenAddress` (nil: an inherited socket),
    /// over a TLS session `security` (nil: plain TCP).
    init(
        config text: String, listenAddress: ListenAddress? = nil, security: TransportSecurity? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try self.init(
            host: FakeHost(config: text, sourceLocation: sourceLocation), listenAddress: listenAddress, security: security)
    }

    init(host: FakeHost, listenAddress: ListenAddress? = nil, security: TransportSecurity? = nil) throws {
        self.host = host
        transport.security = security
        connection = try #require(
            Connection(id: 7, host: host, clock: clock, transport: transport, peer: transport.peer, listenAddress: listenAddress))
        host.connection = connection
        connection.start()
    }

    var state: Connection.State { connection.state }
    var closed: Bool { host.closedIDs == [7] && transport.closed }
}

/// A small file served from memory, as the open-file cache holds it.
func memoryFile(_ text: String, type: String = "text/plain; charset=utf-8", servedPath: String = "/f.txt")
    -> LookupResult
{
    let bytes = Array(text.utf8)
    let entry = FileEntry(
        fd: -1, info: FileInfo(size: bytes.count, modified: 784_111_777, etag: "\"e\"", contentType: type, encoding: nil),
        content: bytes)
    return .file(FileResource(file: entry, variants: [], servedPath: servedPath))
}
