// TLS without sockets: server-name matching (RFC 6125), certificate checks on fixture files
// (Fixtures/tls/make.sh), contexts, and the HTTPS redirect and plain-on-TLS answers.

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

private func source(_ cert: String, _ key: String) -> CertificateSource {
    CertificateSource(
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
            CertificateSource(
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

private func options(_ pairs: [CertificateSource]) -> TLSOptions {
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
