// TLS without sockets: server-name matching (RFC 6125), certificate checks on fixture files
// (Fixtures/tls/make.sh), contexts, and the HTTPS redirect and plain-on-TLS answers. Then the TLS transport
// on a socket pair, against an OpenSSL client in the same process (cases fuzz-tls found).

import Config
import IO
import Support
import Testing

@testable import HTTPCore
@testable import Server
@testable import TLS

#if canImport(Glibc)
    import Glibc
#endif

/// The fixtures folder, found from this file's path (no Foundation bundle in the tests). Its keys are made mode
/// 600 here: git records no such mode, so a checkout has them 644, which the checks rightly warn about.
private let fixtures: String = {
    var path = #filePath
    while let last = path.last, last != "/" { path.removeLast() }
    let dir = path + "Fixtures/tls/"
    for key in ["ecdsa.key", "rsa.key", "stray.key", "wild.key"] { chmod(dir + key, 0o600) }
    return dir
}()

private func source(_ cert: String, _ key: String) -> TLSCertificatePair {
    TLSCertificatePair(
        certificateFile: fixtures + cert, keyFile: fixtures + key, certificateLocation: "t.conf:1", keyLocation: "t.conf:2")
}

private func name(_ s: String) -> ServerName { ServerName(Array(s.utf8))! }

/// The fixtures' root, trusted in place of the system's roots.
private let root = fixtures + "root.pem"

/// 2027-01-01, when every fixture is valid.
private let validNow = 1_798_761_600

@Suite struct ServerNameTests {
    @Test func namesAreLowercasedWithoutTrailingDot() {
        #expect(name("WWW.Example.TEST.").bytes == Array("www.example.test".utf8))
        #expect(ServerName(Array("".utf8)) == nil)
        #expect(ServerName(Array(".".utf8)) == nil)
        #expect(ServerName(Array("a b".utf8)) == nil)
        #expect(ServerName([0x61, 0xC3, 0xA9]) == nil)
    }

    @Test func wildcardCoversExactlyOneLeftmostLabel() {
        let w = name("*.example.test")
        #expect(w.isWildcard)
        #expect(w.covers(name("a.example.test")))
        #expect(w.covers(name("A.EXAMPLE.test")))
        #expect(!w.covers(name("example.test")))
        #expect(!w.covers(name("a.b.example.test")))
        #expect(!w.covers(name(".example.test.x")))
        #expect(!w.covers(name("aexample.test")))
        #expect(!name("a*.example.test").covers(name("ab.example.test")))
        #expect(name("example.test").covers(name("EXAMPLE.test.")))
    }

    @Test func exactNamesWinOverWildcardsAndUnknownNamesFallBack() {
        let certs = [[name("example.test")], [name("*.wild.test")], [name("a.wild.test")]]
        #expect(pickCertificate(for: name("a.wild.test"), among: certs) == 2)
        #expect(pickCertificate(for: name("b.wild.test"), among: certs) == 1)
        #expect(pickCertificate(for: name("example.test"), among: certs) == 0)
        #expect(pickCertificate(for: name("other.test"), among: certs) == nil)
    }
}

@Suite struct CertificateCheckTests {
    @Test func aGoodPairHasNoFindingAndItsNames() throws {
        let pair = try LoadedPair.load(source("rsa.pem", "rsa.key"))
        #expect(pair.names == [name("example.test"), name("www.example.test")])
        #expect(pair.certificates.count == 2)
        #expect(pair.check(now: validNow, trustFile: root) == [])
    }

    @Test func aKeyOfAnotherCertificateIsFatal() throws {
        let pair = try LoadedPair.load(source("rsa.pem", "stray.key"))
        let findings = pair.check(now: validNow, trustFile: root).filter { $0.severity == .fatal }
        #expect(
            findings.map(\.message) == [
                "t.conf:2: TLSCertificateKeyFile \(fixtures)stray.key: does not match the certificate in \(fixtures)rsa.pem"
            ])
        expectStartupError("t.conf:2: TLSCertificateKeyFile") {
            _ = try TLSContext.make(options([source("rsa.pem", "stray.key")]))
        }
    }

    @Test func aMisorderedChainIsFatal() throws {
        let pair = try LoadedPair.load(source("misordered.pem", "rsa.key"))
        let fatal = pair.check(now: validNow, trustFile: root).filter { $0.severity == .fatal }.map(\.message)
        // The leaf comes second: the key does not match the first certificate, and the order is wrong.
        #expect(fatal.contains { $0.contains("did not issue certificate 1") && $0.hasPrefix("t.conf:1: TLSCertificateFile") })
    }

    @Test func anUntrustedIssuerIsAProblemButASelfIssuedRootIsNot() throws {
        let pair = try LoadedPair.load(source("rsa.pem", "rsa.key"))
        let problems = pair.check(now: validNow, trustFile: fixtures + "none.pem").filter { $0.severity == .problem }.map(
            \.message)
        #expect(
            problems == [
                "t.conf:1: TLSCertificateFile \(fixtures)rsa.pem: chain incomplete: the issuer of the last certificate (CN=httpd test root) is neither in the file nor trusted by this system"
            ])
        #expect(pair.check(now: validNow, trustFile: root).filter { $0.severity == .problem } == [])
    }

    @Test func validityIsCheckedAgainstNow() throws {
        let pair = try LoadedPair.load(source("ecdsa.pem", "ecdsa.key"))
        let before = pair.check(now: 1_767_225_600, trustFile: root)  // 2026-01-01
        #expect(
            before.count == 1 && before[0].severity == .problem && before[0].message.contains(": not valid before 2026-11-29 "))
        let after = pair.check(now: pair.notAfter, trustFile: root)
        #expect(after.count == 1 && after[0].message.hasSuffix("expired on \(utcText(pair.notAfter))"))
        let soon = pair.check(now: pair.notAfter - 7 * 86400, trustFile: root)
        #expect(soon.count == 1 && soon[0].severity == .warning)
        #expect(
            soon[0].message
                == "t.conf:1: TLSCertificateFile \(fixtures)ecdsa.pem: expires on \(utcText(pair.notAfter)), within 14 days")
        #expect(pair.check(now: pair.notAfter - 15 * 86400, trustFile: root) == [])
    }

    @Test func unreadableFilesNameTheirDirective() {
        expectStartupError("t.conf:1: TLSCertificateFile \(fixtures)none.pem: No such file or directory") {
            _ = try LoadedPair.load(source("none.pem", "rsa.key"))
        }
        expectStartupError("t.conf:1: TLSCertificateFile \(fixtures)rsa.key: no PEM certificate in it") {
            _ = try LoadedPair.load(source("rsa.key", "rsa.key"))
        }
        expectStartupError("t.conf:2: TLSCertificateKeyFile \(fixtures)rsa.pem:") {
            _ = try LoadedPair.load(source("rsa.pem", "rsa.pem"))
        }
    }

    @Test func aKeyReadableByOthersIsAWarning() throws {
        let dir = "/tmp/httpd-tls-test-\(getpid())"
        mkdir(dir, 0o700)
        defer {
            unlink(dir + "/k.key")
            rmdir(dir)
        }
        let key = readAll(fixtures + "rsa.key")
        let fd = open(dir + "/k.key", O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        _ = key.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        chmod(dir + "/k.key", 0o644)
        let pair = try LoadedPair.load(
            TLSCertificatePair(
                certificateFile: fixtures + "rsa.pem", keyFile: dir + "/k.key", certificateLocation: "a:1", keyLocation: "a:2"))
        #expect(
            pair.check(now: validNow, trustFile: root).map(\.message) == [
                "a:2: TLSCertificateKeyFile \(dir)/k.key: readable by group or others (mode 644): chmod 600 it"
            ])
    }
}

@Suite struct TLSContextTests {
    @Test func pairsWithTheSameNamesShareAContextAndOthersGetTheirOwn() throws {
        let context = try TLSContext.make(
            options([source("rsa.pem", "rsa.key"), source("ecdsa.pem", "ecdsa.key"), source("wild.pem", "wild.key")]),
            now: validNow, trustFile: root)
        #expect(context.contexts.count == 2)
        #expect(context.names == [[name("example.test"), name("www.example.test")], [name("*.wild.test")]])
        #expect(context.context(for: name("x.wild.test")) == context.contexts[1])
        #expect(context.context(for: name("example.test")) == nil)  // the first: no switch
        #expect(context.summary.count == 3)
        #expect(
            context.summary[0].hasPrefix("\(fixtures)rsa.pem: CN=example.test, names example.test www.example.test, expires "))
    }

    @Test func unknownCiphersAreRefused() {
        var o = options([source("rsa.pem", "rsa.key")])
        o.ciphers = "NOPE-CIPHER"
        expectStartupError("TLSCiphers NOPE-CIPHER: no cipher match") {
            _ = try TLSContext.make(o, now: validNow, trustFile: root)
        }
        o = options([source("rsa.pem", "rsa.key")])
        o.cipherSuites = "TLS_NOPE"
        expectStartupError("TLSCipherSuites TLS_NOPE:") { _ = try TLSContext.make(o, now: validNow, trustFile: root) }
    }

    @Test func ticketKeysRotateInARingOfThree() {
        _ = TLSContext.ticketKeys()
        let first = TLSContext.ticketKeyNames()[0]
        TLSContext.rotateTicketKeys()
        var names = TLSContext.ticketKeyNames()
        #expect(names[1] == first && names[0] != first)
        TLSContext.rotateTicketKeys()
        TLSContext.rotateTicketKeys()
        names = TLSContext.ticketKeyNames()
        #expect(names.count == 3 && !names.contains(first))
    }
}

@Suite struct HTTPSRoutingTests {
    private func request(_ target: String, host: String? = "example.test:8080", method: String = "GET") throws -> Request {
        let fields = host.map { [(name: "host", value: $0)] } ?? []
        return try Request.interpret(RequestHead(method: method, target: target, version: (1, 1), fields: fields)).get()
    }

    @Test func plainRequestsAreRedirectedToTheSameHostAndTarget() throws {
        let r = try request("/a/b%20c?x=1")
        guard case .respond(let response) = Router.httpsRedirect(r, route: .file("/a/b c"), httpsPort: 8443) else {
            Issue.record("no redirect")
            return
        }
        #expect(response.status.code == 308)
        #expect(response.headers.first { $0.0 == "Location" }?.1 == "https://example.test:8443/a/b%20c?x=1")
        guard case .respond(let standard) = Router.httpsRedirect(r, route: .file("/"), httpsPort: 443) else { return }
        #expect(standard.headers.first { $0.0 == "Location" }?.1 == "https://example.test/a/b%20c?x=1")
    }

    @Test func healthAndReadinessAreNotRedirected() throws {
        let r = try request("/healthz")
        #expect(Router.httpsRedirect(r, route: .health, httpsPort: 8443) == nil)
        #expect(Router.httpsRedirect(r, route: .ready, httpsPort: 8443) == nil)
    }

    @Test func aRequestWithoutHostCannotBeRedirected() throws {
        let r = try Request.interpret(
            RequestHead(method: "GET", target: "/", version: (1, 0), fields: [(name: String, value: String)]())
        ).get()
        guard case .error(let e) = Router.httpsRedirect(r, route: .file("/"), httpsPort: 8443) else {
            Issue.record("expected an error")
            return
        }
        #expect(e.status.code == 400)
    }

    @Test func plainHTTPOnTheTLSPortIsToldWhereToGo() throws {
        let response = Router.plainHTTPOnTLSPort(try request("/", host: "example.test:8443"), isHead: false)
        #expect(response.status.code == 400 && response.forceClose)
        guard case .bytes(let body) = response.body[0] else { return }
        #expect(
            String(decoding: body, as: UTF8.self)
                == "400 Bad Request: this port speaks HTTPS (TLS), not plain HTTP. Use https://example.test:8443/\n")
        let odd = Router.plainHTTPOnTLSPort(nil, isHead: true)
        #expect(!odd.sendsBody && odd.contentLength == 89)
    }
}

/// A TLSSocket on one end of a non-blocking socket pair and a TLSTestClient on the other, stepped by hand:
/// one non-blocking pass of the loop, then the client.
private final class TLSPair: TransportDelegate {
    let loop: EventLoop
    let server: TLSSocket
    let client: TLSTestClient
    let peer: Int32
    var events: [String] = []

    init(sendBuffer: Int32? = nil, version: Int? = nil) throws {
        signal(SIGPIPE, SIG_IGN)
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
        if var size = sendBuffer {
            setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        loop = try EventLoop()
        let context = try TLSContext.make(options([source("ecdsa.pem", "ecdsa.key")]), now: validNow, trustFile: root)
        server = try #require(TLSSocket(loop, fd: fds[0], context: context, stats: TLSStats()))
        client = try #require(TLSTestClient(fd: fds[1], version: version))
        peer = fds[1]
        server.delegate = self
        server.enableReading()
    }

    deinit {
        server.close()
        close(peer)
    }

    func transportReadable() { events.append("readable") }
    func transportProgressed() { events.append("progressed") }
    func transportDrained() { events.append("drained") }
    func transportFailed(_ event: TransportEvent) { events.append("failed \(event)") }

    /// Steps until `done` (at most `passes` times); false when it never held.
    func step(until done: () -> Bool, passes: Int = 1000) -> Bool {
        for _ in 0..<passes {
            if done() { return true }
            loop.runOnce(nonBlocking: true)
            if !client.handshakeDone { _ = client.handshake() }
        }
        return done()
    }

    func handshake() -> Bool { step { server.security != nil && client.handshakeDone } }

    /// What the client can decrypt now.
    func clientReads() -> [UInt8] {
        var got: [UInt8] = []
        while client.read(into: &got, limit: 1 << 16) == .done {}
        return got
    }
}

@Suite struct TLSSocketTests {
    /// The collecting BIO, and its buffer, are freed with the SSL object: `outputCount` read freed memory after
    /// `close()` (AddressSanitizer: heap-use-after-free), so did `flush` and `releaseIdleBuffers`.
    @Test func nothingIsQueuedAfterClose() throws {
        let p = try TLSPair()
        #expect(p.handshake())
        p.server.write(Array("hello".utf8))
        #expect(p.server.flush() == .drained)
        #expect(p.step { p.clientReads() == Array("hello".utf8) })
        p.server.close()
        #expect(p.server.outputCount == 0)
        #expect(p.server.flush() == .drained)
        p.server.releaseIdleBuffers()
        p.server.close()
    }

    /// A region past the end of the file is refused, however large its offset or length (`offset + length`
    /// overflowed and trapped).
    @Test func regionsPastTheEndAreRefused() throws {
        let p = try TLSPair()
        var template = Array("/tmp/httpd-tls-region-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        #expect(fd >= 0)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        defer { close(fd) }
        #expect(ftruncate(fd, 1000) == 0)
        let segment = try #require(FileSegment(fd: fd, length: 1000))
        #expect(p.server.write(segment, offset: 0, length: 1000))
        #expect(p.server.write(segment, offset: 999, length: 1))
        #expect(!p.server.write(segment, offset: 999, length: 2))
        #expect(!p.server.write(segment, offset: 1001, length: 1))
        #expect(!p.server.write(segment, offset: -1, length: 1))
        #expect(!p.server.write(segment, offset: Int.max, length: 1))
        #expect(!p.server.write(segment, offset: 1, length: Int.max))
        #expect(p.server.outputCount == 1001)
    }

    /// A client that half-closes without close_notify has ended its side, and what it asked for is still
    /// answered (the transport reports .eof, which leaves output usable). OpenSSL failed the session instead
    /// ("unexpected eof while reading"): a fatal alert was queued and never sent (`outputCount` stayed at 24
    /// with the write event off) and every later write failed with EPIPE.
    @Test(arguments: [12, 13]) func aHalfCloseWithoutCloseNotifyLeavesOutputUsable(version: Int) throws {
        let p = try TLSPair(version: version)
        #expect(p.handshake())
        shutdown(p.peer, Int32(SHUT_WR))
        #expect(p.step { p.events.contains("failed eof") })
        #expect(p.server.outputCount == 0)
        p.server.write(Array("answer".utf8))
        #expect(p.server.flush() == .drained)
        #expect(p.clientReads() == Array("answer".utf8))
        #expect(p.events == ["failed eof"] && p.server.failure == nil)
    }

    /// The client's close_notify (.eof) while a response is going out: the rest of it still goes out. The
    /// write event was turned off with the read event, and the response stalled.
    @Test(arguments: [12, 13]) func outputInFlightAtTheClientsCloseNotifyGoesOut(version: Int) throws {
        let p = try TLSPair(sendBuffer: 4096, version: version)
        #expect(p.handshake())
        let body = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        p.server.write(body)
        #expect(p.server.flush() == .pending)
        #expect(p.client.shutdown() == .done)
        var got: [UInt8] = []
        #expect(
            p.step {
                got += p.clientReads()
                return p.events.contains("drained")
            })
        #expect(got == body && p.server.outputCount == 0)
        #expect(p.events.contains("failed eof") && p.events.last == "drained")
    }

    /// After shutdownWrite (a lingering close) the server keeps reading; a client's KeyUpdate read then makes
    /// OpenSSL answer with one of its own, which cannot be sent after FIN. Writing it failed with EPIPE, and the
    /// connection closed at once instead of lingering.
    @Test func aKeyUpdateReadWhileLingeringIsNoFailure() throws {
        let p = try TLSPair(version: 13)
        #expect(p.handshake())
        // Two: OpenSSL answers a request when it reads the next message (here the second request).
        for _ in 0..<2 {
            #expect(p.client.keyUpdate(requestPeer: true))
            #expect(p.client.handshake() == .done)
        }
        p.server.shutdownWrite()
        let (n, _) = Array("more".utf8).withUnsafeBytes { p.client.write($0) }
        #expect(n == 4)
        #expect(p.step { !p.events.isEmpty })
        #expect(p.events == ["readable"] && p.server.inputCount == 4 && p.server.failure == nil)
        #expect(p.server.outputCount == 0)
    }

    /// Records OpenSSL makes while reading (its answer to a client's KeyUpdate) are sent even when the same read
    /// meets the client's close_notify: they stayed in the buffer (`outputCount` 27 for ever, no write event).
    @Test func whatAReadMakesGoesOutWhenItEndsAtTheClientsCloseNotify() throws {
        let p = try TLSPair(version: 13)
        #expect(p.handshake())
        for _ in 0..<2 {
            #expect(p.client.keyUpdate(requestPeer: true))
            #expect(p.client.handshake() == .done)
        }
        #expect(p.client.shutdown() == .done)
        #expect(p.step { p.events.contains("failed eof") })
        #expect(p.step(until: { p.server.outputCount == 0 }, passes: 20))
        p.server.write(Array("after".utf8))
        #expect(p.server.flush() == .drained)
        #expect(p.clientReads() == Array("after".utf8))
    }

    /// A flush during the handshake answers .pending, which promises a callback: the output must go out when the
    /// handshake completes. It stayed queued, with the write event off, and nothing followed.
    @Test func outputQueuedDuringTheHandshakeGoesOutAfterIt() throws {
        let p = try TLSPair()
        let body = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        p.server.write(body)
        #expect(p.server.flush() == .pending)
        #expect(p.handshake())
        var got: [UInt8] = []
        #expect(
            p.step {
                got += p.clientReads()
                return got.count == body.count && p.events.contains("drained")
            })
        #expect(got == body && p.server.outputCount == 0)
    }
}

private func options(_ pairs: [TLSCertificatePair]) -> TLSOptions {
    TLSOptions(
        certificates: pairs, minVersion: 12, maxVersion: 13,
        ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
        cipherSuites: "TLS_AES_128_GCM_SHA256", sessionTickets: true, sessionCache: 100)
}

private func readAll(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fd, &buf, buf.count)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return out
}

/// Expects `body` to throw a StartupError whose message starts with `prefix`.
private func expectStartupError(
    _ prefix: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("no error thrown", sourceLocation: sourceLocation)
    } catch let e as StartupError {
        #expect(e.message.hasPrefix(prefix), "\(e.message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("\(error)", sourceLocation: sourceLocation)
    }
}
