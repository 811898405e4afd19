// Fuzz target: the TLS transport (TLSSocket) as far as it is ours: its buffers and queue, the staging
// buffer filled with pread, the collecting write BIO of the shim and the flow control that writes its records,
// plain-HTTP detection and handshake driving. OpenSSL itself is not the unit: a real OpenSSL client in the
// same process (TLSTestClient) talks to the server end of a socket pair whose send buffer the input makes small,
// so that writes go out in pieces. The input is a list of operations on both ends. Properties: every byte the
// server queued reaches the client decrypted, in order (a prefix of it when the stream failed for a reason
// the input gave: a file truncated under a queued region, a broken client); every byte the client sent reaches
// the server's input in order; `outputCount` reaches 0 once the client has read everything, and a `.pending`
// flush is followed by `transportDrained`; input stops growing at the cap while reading is disabled and
// resumes when enabled; no callback after close or after an error; each connection counts once in the
// handshake statistics; OpenSSL's (per-thread, shared) error queue is left empty; nothing hangs (every wait
// is bounded). Raw modes replace the client with bytes of the input, before or after part of a handshake:
// a letter first gives plain mode (bytes both ways verbatim), anything else a clean failure or a wait,
// and queued plaintext never reaches the wire unencrypted.

import Config
import FuzzKit
import IO
import TLS

#if canImport(Glibc)
    import Glibc
#endif

/// The entry point SwiftPM names for this executable: libFuzzer's driver on `fuzzTLS`.
@_cdecl("fuzz_tls_main")
func fuzzTLSMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzTLS)
}

// MARK: Set-up, once per process

/// The unit-test fixtures (Tests/HTTPDaemonTests/Fixtures/tls), found from this file's path or, failing that,
/// from the current directory (scripts/fuzz.sh runs from the repository's root).
let fixtures: String = {
    var path = #filePath
    // Up from Tests/fuzz/Sources/fuzz-tls/FuzzTLS.swift to the repository.
    for _ in 0..<5 {
        while let last = path.last, last != "/" { path.removeLast() }
        path.removeLast()
    }
    let candidates = [path + "/Tests/HTTPDaemonTests/Fixtures/tls/", "Tests/HTTPDaemonTests/Fixtures/tls/"]
    return candidates.first { access($0 + "ecdsa.pem", R_OK) == 0 } ?? candidates[1]
}()

/// A file of deterministic bytes, opened and unlinked (its descriptor stays open for the process).
struct TestFile {
    let fd: Int32
    let bytes: [UInt8]
    let segment: FileSegment

    init(length: Int, seed: UInt64) {
        var s = seed
        bytes = (0..<length).map { _ in
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: s >> 56)
        }
        var template = Array("/tmp/fuzz-tls-XXXXXX".utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { fatalError("fuzz-tls: cannot make a temporary file: errno \(errno)") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        segment = FileSegment(fd: fd, length: length)!
        restore()
    }

    /// The file at its full length with its bytes (after a truncation).
    func restore() {
        require(ftruncate(fd, off_t(bytes.count)) == 0, "ftruncate: errno \(errno)")
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        require(n == bytes.count, "pwrite: \(n)")
    }
}

final class Setup {
    let loop: EventLoop
    let context: TLSContext
    /// About 200 KiB, read only; `shortSegment` covers its first 70,000 bytes.
    let file: TestFile
    let shortSegment: FileSegment
    /// About 96 KiB that an input may truncate (restored before the next input).
    let shrinking: TestFile
    var shrunk = false

    init() {
        signal(SIGPIPE, SIG_IGN)
        do {
            loop = try EventLoop()
            let config = Configuration()
            let options = TLSOptions(
                certificates: [
                    TLSCertificatePair(
                        certificateFile: fixtures + "ecdsa.pem", keyFile: fixtures + "ecdsa.key", certificateLocation: "fuzz:1",
                        keyLocation: "fuzz:2")
                ], minVersion: 12, maxVersion: 13, ciphers: config.tlsCiphers, cipherSuites: config.tlsCipherSuites,
                sessionTickets: true, sessionCache: 100)
            // 2027-01-01, when every fixture is valid (as in TLSTests).
            context = try TLSContext.make(options, now: 1_798_761_600, trustFile: fixtures + "root.pem", checkChain: false)
        } catch {
            fatalError("fuzz-tls: set-up failed: \(error.message)")
        }
        file = TestFile(length: 204_923, seed: 1)
        shortSegment = FileSegment(fd: file.fd, length: 70_000)!
        shrinking = TestFile(length: 98_311, seed: 2)
    }
}

nonisolated(unsafe) let setup = Setup()

/// FUZZ_TLS_TRACE=1: each operation on stderr (to read what a crashing input does).
let tracing = getenv("FUZZ_TLS_TRACE") != nil

func trace(_ text: @autoclosure () -> String) {
    guard tracing else { return }
    let line = Array("fuzz-tls: \(text())\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

// MARK: The input

/// Byte counts for writes and reads: the edges of a record (16 KiB), of the staging buffer and of a batch
/// (64 KiB), or any count up to 70 KiB.
func size(_ r: inout FuzzReader) -> Int {
    let table = [0, 1, 2, 17, 100, 1000, 4095, 4096, 16383, 16384, 16385, 32768, 65535, 65536, 65537, 71680]
    let b = r.byte()
    if b < 0x80 { return table[Int(b) % table.count] }
    let v = Int(r.byte()) | Int(r.byte()) << 8
    return b < 0xC0 ? v % 1024 : v % 71681
}

/// An offset or length for a file region of a `length`-byte segment: inside it mostly, at its edges, past its
/// end, negative, or huge.
func regionValue(_ r: inout FuzzReader, _ length: Int) -> Int {
    let b = r.byte()
    let v = Int(r.byte()) | Int(r.byte()) << 8 | Int(r.byte()) << 16
    switch b & 7 {
    case 0: return v % (length + 1)
    case 1: return length - Int(b >> 3)
    case 2: return length + Int(b >> 3)
    case 3: return -1 - Int(b >> 3)
    case 4: return Int.max - Int(b >> 3)
    case 5: return Int(b >> 3)
    default: return v % 70000
    }
}

// MARK: One connection

enum Ending {
    case close, shutdownWrite, clientClosesFirst
}

/// The server end (a TLSSocket, with this object as its delegate, acting as a connection would) and the client
/// end (a TLSTestClient, or raw bytes) of one socket pair, and what each side sent and received.
final class Session: TransportDelegate {
    let server: TLSSocket
    let stats = TLSStats()
    let clientFD: Int32
    var clientFDOpen = true
    var client: TLSTestClient?
    /// The client is no longer a well-behaved TLS peer (garbage, renegotiation): the server may fail.
    var clientBroken = false

    // Server → client.
    var serverWrote: [UInt8] = []
    var clientGot = 0
    var clientSawClose = false
    var clientFailure: String?
    /// Raw mode: what the raw peer read.
    var rawGot: [UInt8] = []
    // Client → server.
    /// Everything given to the client to send, in order; OpenSSL took the first `clientTaken` bytes. Bytes of a
    /// write that returned WANT_WRITE may already be on the wire (the write is retried with the same bytes).
    var clientWrote: [UInt8] = []
    var clientTaken = 0
    var clientPending: Int { clientWrote.count - clientTaken }
    var clientShutDown = false
    var serverGot = 0

    // The server's state as its delegate sees it.
    var closed = false
    /// `shutdownWrite` was called (close_notify and FIN sent).
    var shutWrite = false
    var failedWith: Int32?
    var sawEOF = false
    var flushPending = false
    var readingEnabled = true
    /// Input buffered when reading was last disabled (the cap applies to growth after it).
    var inputWhenDisabled = 0
    /// Bytes taken from the input in each readable callback (0: none, as a connection busy writing).
    var consumePerCallback = Int.max
    var callbacks = 0
    /// The server's output may fail with EIO: a region of the shrinking file reaches past its length.
    var eioAllowed = false
    var shrinkMaxEnd = 0
    var shrinkLength: Int
    /// A plaintext marker the raw peer must never see (raw modes queue it before any handshake completes).
    var plainMarker: [UInt8] = []
    var rawPlain = false

    init(sendBuffer: Int, clientSendBuffer: Int, version: Int?, raw: Bool) {
        var fds: [Int32] = [0, 0]
        require(
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0,
            "socketpair: errno \(errno)")
        if sendBuffer > 0 {
            var v = Int32(sendBuffer)
            setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &v, socklen_t(MemoryLayout<Int32>.size))
        }
        if clientSendBuffer > 0 {
            var v = Int32(clientSendBuffer)
            setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &v, socklen_t(MemoryLayout<Int32>.size))
        }
        guard let server = TLSSocket(setup.loop, fd: fds[0], context: setup.context, stats: stats) else {
            fatalError("fuzz-tls: no TLSSocket")
        }
        self.server = server
        clientFD = fds[1]
        shrinkLength = setup.shrinking.bytes.count
        if !raw {
            client = TLSTestClient(fd: clientFD, version: version)
            require(client != nil, "no TLSTestClient")
        }
        server.delegate = self
        server.enableReading()
    }

    deinit {
        if clientFDOpen { Glibc.close(clientFD) }
    }

    var tls: Bool { client != nil }

    func state() -> String {
        "server: output \(server.outputCount), input \(server.inputCount), secure \(server.security != nil), plain \(server.spokePlainHTTP), "
            + "failed \(failedWith.map(String.init) ?? "no") \(server.failure ?? ""), eof \(sawEOF), closed \(closed), reading \(readingEnabled), flush pending \(flushPending); "
            + "client: got \(clientGot)/\(serverWrote.count), sent \(clientTaken) (+\(clientPending) pending), server got \(serverGot), "
            + "handshake \(client?.handshakeDone ?? false), closed \(clientSawClose), failure \(clientFailure ?? "none"), broken \(clientBroken)"
    }

    // MARK: Delegate

    func transportReadable() {
        require(!closed, "transportReadable after close")
        require(failedWith == nil, "transportReadable after a failure")
        require(readingEnabled, "transportReadable while reading is disabled")
        require(server.inputCount > 0, "transportReadable without input")
        require(server.security != nil || server.spokePlainHTTP, "input before the handshake completed")
        callbacks += 1
        consume(upTo: consumePerCallback, taking: consumePerCallback)
    }

    func transportProgressed() {
        require(!closed, "transportProgressed after close")
        require(failedWith == nil, "transportProgressed after a failure")
        callbacks += 1
    }

    func transportDrained() {
        require(!closed, "transportDrained after close")
        require(failedWith == nil, "transportDrained after a failure")
        require(server.outputCount == 0, "transportDrained with \(server.outputCount) bytes queued")
        callbacks += 1
        flushPending = false
    }

    func transportFailed(_ event: TransportEvent) {
        require(!closed, "transportFailed after close")
        require(failedWith == nil, "transportFailed after a failure")
        callbacks += 1
        switch event {
        case .eof:
            require(!sawEOF, "eof reported twice")
            sawEOF = true
        case .error(let e):
            failedWith = e
            require(failureAllowed(e), "the server failed: errno \(e), \(server.failure ?? "-"); \(state())")
            // As a connection does: close at once.
            closeServer()
        }
    }

    /// Whether the stream may fail with `e`: a broken or departed client, or a shrunk file.
    func failureAllowed(_ e: Int32) -> Bool {
        if clientBroken { return true }
        if e == EIO && eioAllowed { return true }
        // A client that has closed its socket cannot be written to.
        return !clientFDOpen && (e == EPIPE || e == ECONNRESET)
    }

    // MARK: Server operations

    func closeServer() {
        guard !closed else { return }
        closed = true
        server.close()
        require(server.outputCount == 0, "output after close: \(server.outputCount)")
        // As BufferedSocket: input still buffered is pending, nothing else (the kernel is not asked).
        require(server.inputPending() == (server.inputCount > 0), "input pending after close: \(server.inputCount) buffered")
        server.close()
        require(stats.handshakes + stats.failureCount == 1, "counted \(stats.handshakes) handshakes, \(stats.failures) failures")
    }

    /// Server bytes: a stream of their own so that a byte out of place shows.
    func nextBytes(_ n: Int) -> [UInt8] {
        if !tls {
            // Raw modes: the marker, which must never be seen in clear unless the server is in plain mode.
            let marker = Array("<plaintext never on the wire>".utf8)
            plainMarker = marker
            return (0..<n).map { marker[$0 % marker.count] }
        }
        let start = serverWrote.count
        return (0..<n).map { UInt8(truncatingIfNeeded: (start + $0) &* 31 &+ ((start + $0) >> 8)) }
    }

    func write(_ n: Int) {
        let bytes = nextBytes(n)
        bytes.withUnsafeBytes { server.write($0) }
        serverWrote += bytes
    }

    func write(_ a: Int, _ b: Int) {
        let first = nextBytes(a)
        serverWrote += first
        let second = nextBytes(b)
        serverWrote += second
        first.withUnsafeBytes { x in second.withUnsafeBytes { y in server.write(x, y) } }
    }

    func writeRegion(_ file: TestFile, _ segment: FileSegment, offset: Int, length: Int) {
        let fits = length <= 0 || (offset >= 0 && offset <= segment.length && length <= segment.length - offset)
        let ok = server.write(segment, offset: offset, length: length)
        require(ok == fits, "write(segment of \(segment.length), offset: \(offset), length: \(length)) returned \(ok)")
        guard ok && length > 0 else { return }
        serverWrote += file.bytes[offset..<offset + length]
        if file.fd == setup.shrinking.fd {
            shrinkMaxEnd = max(shrinkMaxEnd, offset + length)
            if shrinkMaxEnd > shrinkLength { eioAllowed = true }
        }
    }

    func truncate(to length: Int) {
        guard length < shrinkLength else { return }
        shrinkLength = length
        setup.shrunk = true
        require(ftruncate(setup.shrinking.fd, off_t(length)) == 0, "ftruncate: errno \(errno)")
        if shrinkMaxEnd > shrinkLength { eioAllowed = true }
    }

    func flush() {
        let result = server.flush()
        switch result {
        case .drained:
            require(server.outputCount == 0, "flush drained with \(server.outputCount) bytes queued")
            flushPending = false
        case .pending:
            require(server.outputCount > 0, "flush pending with nothing queued")
            flushPending = true
        case .failed(let e):
            require(failureAllowed(e), "flush failed: errno \(e), \(server.failure ?? "-"); \(state())")
            failedWith = e
            closeServer()
        }
    }

    /// Reads up to `limit` bytes of the server's input and consumes up to `count` of them, checking them
    /// against what the client sent.
    func consume(upTo limit: Int, taking count: Int) {
        guard limit > 0 else { return }
        trace("consume up to \(limit), taking \(count) of \(server.inputCount)")
        let taken = server.withInput(upTo: limit) { input -> Int in
            require(
                input.count <= limit && input.count <= server.inputCount,
                "withInput gave \(input.count) of \(server.inputCount), limit \(limit)")
            let n = min(count, input.count)
            require(
                serverGot + n <= clientWrote.count, "the server read \(serverGot + n) bytes, the client sent \(clientWrote.count)"
            )
            for i in 0..<n where input[i] != clientWrote[serverGot + i] {
                require(false, "server input byte \(serverGot + i) is \(input[i]), the client sent \(clientWrote[serverGot + i])")
            }
            return n
        }
        let before = server.inputCount
        server.consumeInput(taken)
        require(server.inputCount == before - taken, "consumeInput(\(taken)) left \(server.inputCount) of \(before)")
        serverGot += taken
    }

    func setReading(_ on: Bool) {
        readingEnabled = on
        if on {
            server.enableReading()
        } else {
            server.disableReading()
            inputWhenDisabled = server.inputCount
        }
    }

    // MARK: Client

    /// Checks and records bytes the client decrypted.
    func clientReceived(_ bytes: ArraySlice<UInt8>) {
        require(!clientSawClose, "bytes after close_notify")
        require(
            clientGot + bytes.count <= serverWrote.count,
            "the client got \(clientGot + bytes.count) bytes, the server wrote \(serverWrote.count)")
        for (i, b) in bytes.enumerated() where b != serverWrote[clientGot + i] {
            require(false, "client byte \(clientGot + i) is \(b), the server wrote \(serverWrote[clientGot + i]); \(state())")
        }
        clientGot += bytes.count
    }

    /// One read by the client of up to `limit` bytes; false when nothing came.
    @discardableResult
    func clientRead(_ limit: Int) -> Bool {
        guard clientFDOpen, clientFailure == nil, !clientSawClose else { return false }
        guard let client else {
            var buffer = [UInt8](repeating: 0, count: max(1, min(limit, 1 << 17)))
            let n = buffer.withUnsafeMutableBytes { read(clientFD, $0.baseAddress, $0.count) }
            if n <= 0 { return false }
            rawGot += buffer[0..<n]
            if rawPlain { clientReceived(buffer[0..<n]) }
            return true
        }
        var got: [UInt8] = []
        let outcome = client.read(into: &got, limit: limit)
        checkQueue("the client's read")
        switch outcome {
        case .done:
            clientReceived(got[...])
            return true
        case .wantRead, .wantWrite:
            return false
        case .closed:
            require(closed || shutWrite || clientBroken, "close_notify from an open server; \(state())")
            clientSawClose = true
            return true
        case .failed(let why):
            require(clientBroken || closed || failedWith != nil, "the client's read failed: \(why); \(state())")
            clientFailure = why
            return true
        }
    }

    /// Queues bytes for the client to send.
    func clientWrite(_ n: Int) {
        guard tls, clientFDOpen, !clientShutDown, clientFailure == nil else { return }
        let start = clientWrote.count
        clientWrote += (0..<n).map { UInt8(truncatingIfNeeded: (start + $0) &* 131 &+ 7) }
        pushClient()
    }

    /// Hands pending client bytes to OpenSSL as far as the socket allows; drives the client's handshake.
    @discardableResult
    func pushClient() -> Bool {
        guard let client, clientFDOpen, clientFailure == nil else { return false }
        var moved = false
        if !client.handshakeDone && !clientSawClose {
            let outcome = client.handshake()
            checkQueue("the client's handshake")
            if case .failed(let why) = outcome {
                require(clientBroken || closed || failedWith != nil, "the client's handshake failed: \(why); \(state())")
                clientFailure = why
                return true
            }
            moved = client.handshakeDone
        }
        while clientPending > 0 && client.handshakeDone {
            let (n, outcome) = clientWrote.withUnsafeBytes { client.write(UnsafeRawBufferPointer(rebasing: $0[clientTaken...])) }
            trace("client write of \(clientPending): \(n) \(outcome)")
            checkQueue("the client's write")
            if n > 0 {
                clientTaken += n
                moved = true
                continue
            }
            if case .failed(let why) = outcome {
                require(clientBroken || closed || failedWith != nil || sawEOF, "the client's write failed: \(why); \(state())")
                clientFailure = why
                return true
            }
            break
        }
        return moved
    }

    /// OpenSSL's error queue is the thread's, shared by every connection: nothing may be left on it.
    func checkQueue(_ after: String) {
        if let e = TLSTestClient.takeQueuedError() {
            require(false, "an error left on OpenSSL's queue after \(after): \(e); \(state())")
        }
    }

    // MARK: Stepping

    /// One pass of the loop, then the client's side; `reading`: the client reads all it can.
    func step(reading: Bool) {
        trace("step; \(state())")
        setup.loop.runOnce(nonBlocking: true)
        checkQueue("the server's events")
        if !readingEnabled && tls && !closed {
            // At most one record (16 KiB) past the cap, or past what was buffered when reading stopped.
            let bound = max(inputWhenDisabled, BufferedSocket.inputCap) + 16384
            require(server.inputCount <= bound, "input grew to \(server.inputCount) while reading was disabled")
        }
        pushClient()
        if reading {
            var reads = 0
            while clientRead(1 << 16) && reads < 64 { reads += 1 }
        }
    }

    /// What changes when anything moves.
    var progress: [Int] {
        [
            clientGot, serverGot, server.inputCount, clientTaken, closed ? -1 : server.outputCount, callbacks,
            client?.handshakeDone == true ? 1 : 0, clientSawClose ? 1 : 0, clientFailure == nil ? 0 : 1, rawGot.count,
        ]
    }

    /// Steps (the client reading everything) until `done`; fails when nothing moved for 100 passes or after
    /// 20,000 passes.
    func pump(_ what: String, until done: () -> Bool) {
        var last = progress
        var idle = 0
        for _ in 0..<20_000 {
            if done() { return }
            step(reading: true)
            let now = progress
            if now == last {
                idle += 1
                if idle >= 100 { require(false, "hang waiting for \(what): nothing moved for 100 passes; \(state())") }
            } else {
                idle = 0
                last = now
            }
        }
        require(done(), "hang waiting for \(what): 20,000 passes; \(state())")
    }

    // MARK: Ending

    /// Both sides exchange everything queued, then the connection ends as `ending` says.
    func finish(_ ending: Ending) {
        // As a connection does once it has answered: read everything (a client's handshake step, such as a
        // KeyUpdate, may wait behind input the server has not read).
        if !closed && !readingEnabled { setReading(true) }
        consumePerCallback = Int.max
        if !closed && !clientBroken && clientFailure == nil {
            pump("the handshake") {
                if !closed { consume(upTo: Int.max, taking: Int.max) }
                return closed || (server.security != nil && client!.handshakeDone)
            }
        }
        if !closed && clientBroken {
            // A client that broke the session (a refused renegotiation) may wait for nothing: it leaves, and
            // the server must see the end.
            closeClientFD()
            pump("the server to see a broken client leave") {
                consume(upTo: Int.max, taking: Int.max)
                return sawEOF || closed
            }
            closeServer()
        }
        if closed {
            drainClientAfterServerClosed()
            return
        }
        if server.outputCount > 0 && !flushPending { flush() }
        pump("everything to be exchanged") {
            if closed { return true }
            consume(upTo: Int.max, taking: Int.max)
            let clientDone = clientPending == 0 || clientFailure != nil
            return clientDone && serverGot == clientWrote.count && server.outputCount == 0 && clientGot == serverWrote.count
                && !flushPending
        }
        if closed {
            drainClientAfterServerClosed()
            return
        }
        require(server.security != nil, "the handshake never completed; \(state())")
        switch ending {
        case .close:
            let healthy = !sawEOF
            closeServer()
            drainClientAfterServerClosed()
            if healthy && !clientBroken && clientFailure == nil {
                require(clientSawClose, "no close_notify from a healthy close; \(state())")
            }
        case .shutdownWrite:
            shutWrite = true
            server.shutdownWrite()
            trace("shutdownWrite; \(state())")
            checkQueue("shutdownWrite")
            pump("the client to see the end") { clientSawClose || clientFailure != nil || closed }
            if !closed && clientFailure != nil {
                require(clientFailure!.contains("eof"), "after shutdownWrite the client failed: \(clientFailure!)")
            }
            // The client may still send: the server reads and drops it (a lingering close).
            clientWrite(100)
            for _ in 0..<4 { step(reading: false) }
            closeServer()
        case .clientClosesFirst:
            if clientFailure == nil && !clientSawClose { _ = client!.shutdown() }
            checkQueue("the client's shutdown")
            closeClientFD()
            pump("the server to see the end") { sawEOF || closed }
            closeServer()
        }
        afterClose()
    }

    func drainClientAfterServerClosed() {
        guard clientFDOpen else { return }
        pump("the client to see the server's close") {
            clientSawClose || clientFailure != nil || !clientFDOpen || (!tls && clientAtEOF())
        }
        afterClose()
    }

    /// The raw peer (or a TLS client whose reads met the end) sees the end of the stream.
    func clientAtEOF() -> Bool {
        var byte: UInt8 = 0
        let n = recv(clientFD, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN)
    }

    func closeClientFD() {
        if clientFDOpen { Glibc.close(clientFD) }
        clientFDOpen = false
    }

    /// Nothing reaches the delegate once the server is closed.
    func afterClose() {
        let before = callbacks
        if clientFDOpen && tls && clientFailure == nil { clientWrite(10) }
        for _ in 0..<3 { step(reading: false) }
        require(callbacks == before, "a callback after close")
    }
}

// MARK: Modes

/// A TLS client and operations on both ends.
func runSession(_ r: inout FuzzReader, flags: UInt8) {
    let version: Int? = [nil, 12, 13, nil][Int(flags >> 2 & 3)]
    let session = Session(
        sendBuffer: Int(r.byte()) * 512, clientSendBuffer: Int(r.byte()) * 512, version: version, raw: false)
    if flags & 0x10 == 0 {
        session.pump("the handshake") { session.closed || (session.server.security != nil && session.client!.handshakeDone) }
    }
    var ops = 0
    let endings: [Ending] = [.close, .shutdownWrite, .clientClosesFirst]
    var ending = endings[Int(flags >> 5) % 3]
    while r.remaining > 0 && ops < 64 && !session.closed {
        ops += 1
        let op = r.byte()
        trace("op \(op % 16) (\(op)); \(session.state())")
        switch op % 16 {
        case 0:
            if session.serverWrote.count < 1 << 21 { session.write(size(&r)) }
        case 1:
            let a = size(&r)
            let b = size(&r)
            if session.serverWrote.count < 1 << 21 { session.write(a, b) }
        case 2:
            let (segment, short) = op & 0x10 == 0 ? (setup.file.segment, false) : (setup.shortSegment, true)
            let offset = regionValue(&r, segment.length)
            let length = regionValue(&r, segment.length)
            if session.serverWrote.count < 1 << 21 {
                session.writeRegion(setup.file, short ? setup.shortSegment : setup.file.segment, offset: offset, length: length)
            }
        case 3:
            let segment = setup.shrinking.segment
            let offset = regionValue(&r, segment.length)
            let length = regionValue(&r, segment.length)
            session.writeRegion(setup.shrinking, segment, offset: offset, length: length)
        case 4:
            session.truncate(to: Int(r.byte()) << 9 | Int(r.byte()))
        case 5:
            session.flush()
        case 6:
            session.clientRead(size(&r))
        case 7:
            if session.clientWrote.count < 1 << 20 { session.clientWrite(size(&r)) }
        case 8:
            let limit = size(&r)
            session.consume(upTo: limit, taking: op & 0x10 == 0 ? limit : limit / 2)
        case 9:
            session.setReading(!session.readingEnabled)
        case 10:
            session.consumePerCallback = [0, 1, 100, 4096, 16384, Int.max][Int(op >> 4) % 6]
        case 11:
            if session.server.outputCount == 0 { session.server.releaseIdleBuffers() }
        case 12:
            for _ in 0..<(1 + Int(op >> 4)) { session.step(reading: false) }
        case 13:
            // As a connection does: a flush, then the callbacks until the output is out (a broken client may
            // read nothing more: only the end waits for it).
            if session.server.outputCount > 0 && !session.flushPending { session.flush() }
            if session.closed || session.clientBroken || session.clientFailure != nil { break }
            // An OpenSSL client sending a handshake message (a KeyUpdate) reads nothing until it is out: while
            // the server does not read (the socket full of requests) neither side moves, over TCP as here.
            if !session.readingEnabled && !session.client!.handshakeDone { break }
            session.pump("the client to read everything") {
                session.closed
                    || (session.server.outputCount == 0 && session.clientGot == session.serverWrote.count
                        && !session.flushPending)
            }
        case 14:
            clientSpecial(session, op >> 4)
        default:
            // The input cannot be lost: buffered bytes are always pending.
            if session.server.inputCount > 0 { require(session.server.inputPending(), "input buffered but not pending") }
            ending = endings[Int(op >> 4) % 3]
            if op & 0x80 != 0 { ops = 64 }
        }
        session.checkQueue("operation \(op % 16)")
    }
    session.finish(ending)
}

/// What a client may do besides reading and writing: TLS 1.3 key updates, a TLS 1.2 renegotiation (refused:
/// the session breaks), close_notify, half-closing without one.
func clientSpecial(_ s: Session, _ what: UInt8) {
    guard let client = s.client, client.handshakeDone, s.clientFailure == nil, s.clientFDOpen, !s.clientShutDown else { return }
    switch what % 5 {
    case 0, 1:
        if client.keyUpdate(requestPeer: what % 5 == 1) { _ = client.handshake() }
    case 2:
        if client.renegotiate() {
            s.clientBroken = true
            _ = client.handshake()
        }
    case 3:
        // Only with nothing left to send: no write can follow.
        if !s.clientShutDown && s.clientPending == 0 {
            s.clientShutDown = true
            _ = client.shutdown()
        }
    default:
        if !s.clientShutDown && s.clientPending == 0 {
            s.clientShutDown = true
            shutdown(s.clientFD, Int32(SHUT_WR))
        }
    }
    s.checkQueue("the client's special operation")
}

/// Raw bytes instead of a client, maybe after part of a real handshake: a letter first is plain mode,
/// anything else must end in a failure (or a wait for more) and never in plaintext on the wire.
func runRaw(_ r: inout FuzzReader, flags: UInt8) {
    let partial = flags & 1 == 1
    let session = Session(sendBuffer: Int(r.byte()) * 512, clientSendBuffer: 0, version: nil, raw: !partial)
    session.clientBroken = true
    var sentRaw: [UInt8] = []
    /// Bytes went to the server already (a ClientHello, sent by the client's first step).
    var started = false
    if partial {
        // A real client takes the handshake some steps; then its socket carries raw bytes.
        let steps = Int(r.byte() & 15)
        for _ in 0..<steps { session.step(reading: false) }
        started = steps > 0
        session.client = nil
    }
    var ops = 0
    while r.remaining > 0 && ops < 32 && !session.closed {
        ops += 1
        let op = r.byte()
        switch op % 8 {
        case 0, 1:
            // Bytes of the input onto the wire.
            let n = Int(r.byte())
            var bytes: [UInt8] = []
            for _ in 0..<n where r.remaining > 0 { bytes.append(r.byte()) }
            if op & 0x10 != 0 && !started { bytes = [0x16, 0x03, 0x01] + bytes }
            let w = bytes.withUnsafeBytes { write(session.clientFD, $0.baseAddress, $0.count) }
            if w > 0 {
                if !started && bytes[0] >= 0x41 && bytes[0] <= 0x5A {
                    // Plain HTTP: a well-behaved peer, whose bytes must not make the server fail.
                    session.rawPlain = true
                    session.clientBroken = false
                }
                started = true
                sentRaw += bytes[0..<w]
                if session.rawPlain {
                    session.clientWrote += bytes[0..<w]
                    session.clientTaken = session.clientWrote.count
                }
            }
        case 2:
            for _ in 0..<(1 + Int(op >> 4)) { session.step(reading: false) }
        case 3:
            if session.serverWrote.count < 1 << 20 { session.write(size(&r)) }
        case 4:
            session.flush()
        case 5:
            session.clientRead(size(&r))
        case 6:
            session.setReading(!session.readingEnabled)
        default:
            let limit = size(&r)
            if session.rawPlain { session.consume(upTo: limit, taking: limit) }
        }
        if !session.closed {
            require(partial || session.server.security == nil, "a session from raw bytes; \(session.state())")
            require(
                session.rawPlain || session.server.inputCount == 0, "input from raw bytes that are not plain; \(session.state())")
        }
    }
    session.step(reading: false)
    if session.rawPlain && !session.closed {
        require(session.server.spokePlainHTTP, "a letter first did not give plain mode; \(session.state())")
        // Plain both ways: what was sent is the input, what the server writes reaches the peer as it is.
        if !session.readingEnabled { session.setReading(true) }
        if session.server.outputCount > 0 && !session.flushPending { session.flush() }
        session.pump("plain bytes both ways") {
            if session.closed { return true }
            session.consume(upTo: Int.max, taking: Int.max)
            return session.serverGot == session.clientWrote.count && session.server.outputCount == 0
                && session.clientGot == session.serverWrote.count && !session.flushPending
        }
    } else if !session.closed {
        require(!session.server.spokePlainHTTP, "plain mode without a letter first")
    }
    // The peer half-closes: the server must see the end (eof or an error) without hanging.
    if !session.closed {
        if !session.readingEnabled { session.setReading(true) }
        shutdown(session.clientFD, Int32(SHUT_WR))
        session.pump("the server to see the end of raw input") {
            session.consume(upTo: Int.max, taking: Int.max)
            return session.closed || session.sawEOF
        }
        session.closeServer()
    }
    session.drainClientAfterServerClosed()
    if !session.rawPlain && !session.plainMarker.isEmpty {
        let m = session.plainMarker
        let leaked =
            session.rawGot.count >= m.count
            && (0...(session.rawGot.count - m.count)).contains { i in
                session.rawGot[i..<i + m.count].elementsEqual(m)
            }
        require(!leaked, "queued plaintext reached the wire in clear")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTLS(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if setup.shrunk {
        setup.shrinking.restore()
        setup.shrunk = false
    }
    var reader = FuzzReader(UnsafeRawBufferPointer(start: data, count: size))
    let flags = reader.byte()
    switch flags & 3 {
    case 0, 1: runSession(&reader, flags: flags)
    default: runRaw(&reader, flags: flags)
    }
    if let e = TLSTestClient.takeQueuedError() { require(false, "an error left on OpenSSL's queue: \(e)") }
    return 0
}
