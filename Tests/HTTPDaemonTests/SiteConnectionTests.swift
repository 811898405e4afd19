// A connection driven through the site logic with exact bytes out: which site a request is for (Host,
// absolute form, SNI, StrictHostCheck), Redirect, Header rules (fast path included), TryFiles and
// FallbackFile, per-site and per-Location ErrorDocument, and Basic authentication through the fake host.

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

private let listen = ListenAddress(host: "127.0.0.1", port: 8080)

/// Two sites on one listener: 1 (a.example, the listener's first) and 2 (b.example and its aliases).
private let twoSites = """
    Listen 127.0.0.1:8080
    <VirtualHost *:8080>
      ServerName a.example
      ServerAlias www.a.example
      DocumentRoot /
    </VirtualHost>
    <VirtualHost *:8080>
      ServerName b.example
      ServerAlias b.example.net *.example.org
      DocumentRoot /tmp
    </VirtualHost>
    """

/// A connection to the two sites (after `extra` server lines), each serving its own /f.txt.
private func sites(_ extra: String = "", security: TransportSecurity? = nil) throws -> Harness {
    let h = try Harness(config: extra + "\n" + twoSites, listenAddress: listen, security: security)
    h.host.siteFiles = [1: ["/f.txt": memoryFile("site a")], 2: ["/f.txt": memoryFile("site b")]]
    return h
}

/// A connection to one site, `a.example`, whose block holds `lines`.
private func site(_ lines: String, server: String = "") throws -> Harness {
    try Harness(
        config: server + "\nListen 127.0.0.1:8080\n<VirtualHost *:8080>\nServerName a.example\nDocumentRoot /\n" + lines
            + "\n</VirtualHost>", listenAddress: listen)
}

private let standardFields =
    "Content-Type: text/plain; charset=utf-8\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nETag: \"e\"\r\n"
    + "Accept-Ranges: bytes\r\n"

/// A 200 for a `memoryFile` with `body`: `fields` (the file's own, by default) then `extra` before Content-Length,
/// and `after` it.
private func ok(_ body: String, fields: String = standardFields, extra: String = "", after: String = "") -> String {
    "HTTP/1.1 200 OK\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\n" + fields + extra
        + "Content-Length: \(body.utf8.count)\r\n\(after)\r\n\(body)"
}

/// The built-in error page, `extra` fields after its Content-Type.
private func errorPage(_ status: HTTPStatus, close: Bool, extra: String = "") -> String {
    let html = "<!DOCTYPE html>\n<html><head><title>\(status)</title></head>\n<body><h1>\(status)</h1></body></html>\n"
    return "HTTP/1.1 \(status)\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\n"
        + "Content-Type: text/html; charset=utf-8\r\n\(extra)Content-Length: \(html.utf8.count)\r\n"
        + (close ? "Connection: close\r\n" : "") + "\r\n" + html
}

/// A Redirect's page: `status` (`301 Moved Permanently`), its `reason` and a link to `location`.
private func redirectPage(_ status: String, _ reason: String, to location: String) -> String {
    let link = location.replacing("&", with: "&amp;")
    return "<!DOCTYPE html>\n<html><head><title>\(status)</title></head>\n"
        + "<body><h1>\(reason)</h1><p><a href=\"\(link)\">\(link)</a></p></body></html>\n"
}

/// A Redirect's head: `status` to `location`, `extra` fields after its Content-Type, for a page of `length` bytes.
private func redirectHead(_ status: String, to location: String, extra: String = "", length: Int) -> String {
    "HTTP/1.1 \(status)\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\nLocation: \(location)\r\n"
        + "Content-Type: text/html; charset=utf-8\r\n\(extra)Content-Length: \(length)\r\n\r\n"
}

/// A Redirect's response: `status` (`301 Moved Permanently`) to `location`.
private func redirect(_ status: String, _ reason: String, to location: String, extra: String = "") -> String {
    let html = redirectPage(status, reason, to: location)
    return redirectHead(status, to: location, extra: extra, length: html.utf8.count) + html
}

/// A 404 whose body is an ErrorDocument (`memoryFile(body, type: "text/html")`).
private func notFoundDocument(_ body: String) -> String {
    "HTTP/1.1 404 Not Found\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\n"
        + "Content-Type: text/html\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
}

private func get(_ target: String, host: String = "a.example", fields: String = "") -> String {
    "GET \(target) HTTP/1.1\r\nHost: \(host)\r\n\(fields)\r\n"
}

@Suite struct SiteConnectionTests {
    // MARK: Which site

    @Test(arguments: [
        ("a.example", 1), ("www.a.example", 1), ("b.example", 2), ("b.example.net", 2), ("B.Example.NET.:8080", 2),
        ("b.example:80", 2), ("a.b.example.org", 2), ("x.example.org", 2), ("example.org", 1), ("unknown.test", 1),
        ("127.0.0.1:8080", 1),
    ])
    func theHostPicksTheSite(host: String, site: Int) throws {
        let h = try sites()
        h.transport.receive(get("/f.txt", host: host))
        #expect(h.transport.takeSent() == ok(site == 1 ? "site a" : "site b"))
        #expect(h.host.lookupSites == [site])
        #expect(h.host.outcomes.map(\.site) == [site])
        #expect(h.host.outcomes.first?.logEntry?.site == (site == 1 ? "a.example" : "b.example"))
        #expect(h.host.outcomes.first?.logEntry?.port == 8080)
    }

    @Test func anAbsoluteFormTargetsAuthorityWinsOverHost() throws {
        let h = try sites()
        h.transport.receive("GET http://B.example:8080/f.txt HTTP/1.1\r\nHost: a.example\r\n\r\n")
        #expect(h.transport.takeSent() == ok("site b"))
        #expect(h.host.lookupSites == [2])
    }

    @Test func aListenerNoBlockNamesIsTheMainServers() throws {
        let h = try Harness(
            config: "Listen 127.0.0.1:8081\n" + twoSites, listenAddress: ListenAddress(host: "127.0.0.1", port: 8081))
        h.host.files["/f.txt"] = memoryFile("main")
        h.host.siteFiles = [1: ["/f.txt": memoryFile("site a")], 2: ["/f.txt": memoryFile("site b")]]
        h.transport.receive(get("/f.txt", host: "b.example"))
        #expect(h.transport.takeSent() == ok("main"))
        #expect(h.host.lookupSites == [0])
        #expect(h.host.outcomes.first?.logEntry?.site == "default")
        #expect(h.host.outcomes.first?.logEntry?.port == 8081)
    }

    @Test func anInheritedSocketIsServedByEveryBlock() throws {
        let h = try Harness(config: twoSites)
        h.host.siteFiles = [1: ["/f.txt": memoryFile("site a")], 2: ["/f.txt": memoryFile("site b")]]
        h.transport.receive(get("/f.txt", host: "b.example") + get("/f.txt", host: "unknown.test"))
        #expect(h.transport.takeSent() == ok("site b") + ok("site a"))
        #expect(h.host.lookupSites == [2, 1])
        #expect(h.host.outcomes.map(\.logEntry?.port) == [0, 0])
    }

    @Test func eachPipelinedRequestPicksItsOwnSite() throws {
        let h = try sites()
        h.transport.receive(get("/f.txt", host: "b.example") + get("/f.txt") + get("/f.txt", host: "y.example.org"))
        #expect(h.transport.takeSent() == ok("site b") + ok("site a") + ok("site b"))
        #expect(h.host.lookupSites == [2, 1, 2])
    }

    @Test func strictHostCheckAnswers421AndKeepsTheConnection() throws {
        let h = try sites("StrictHostCheck on")
        h.transport.receive(get("/f.txt", host: "unknown.test"))
        #expect(h.transport.takeSent() == errorPage(.misdirectedRequest, close: false))
        #expect(h.host.lookupSites == [])
        #expect(h.state == .idle)
        #expect(
            h.host.logs.last?.message
                == "[client 192.0.2.7] 421 \"GET /f.txt HTTP/1.1\": Host unknown.test names no site (StrictHostCheck)")
        // The connection stays usable: a known name is served on it.
        h.transport.receive(get("/f.txt", host: "b.example"))
        #expect(h.transport.takeSent() == ok("site b"))
        #expect(h.host.outcomes.map(\.code) == [421, 200])
        // HTTP/1.0 without Host names no site either.
        h.transport.receive("GET /f.txt HTTP/1.0\r\n\r\n")
        #expect(h.transport.takeSent() == errorPage(.misdirectedRequest, close: true))
    }

    @Test func strictHostCheckLeavesTheMonitoringEndpointsAlone() throws {
        let h = try sites("StrictHostCheck on\nStatusAllow 192.0.2.0/24")
        h.transport.receive(get("/healthz", host: "10.0.0.1") + get("/readyz", host: "lb.internal"))
        let plain: (String) -> String = { text in
            "HTTP/1.1 200 OK\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: \(text.utf8.count)\r\n\r\n"
                + text
        }
        #expect(h.transport.takeSent() == plain("ok\n") + plain("ready\n"))
        h.transport.receive(get("/server-status?auto", host: "unknown.test"))
        #expect(h.transport.takeSent().hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(h.host.outcomes.map(\.code) == [200, 200, 200])
        #expect(h.host.outcomes.map(\.site) == [0, 0, 0])
        #expect(h.host.lookupSites == [])
    }

    @Test func aHostNamingAnotherSiteThanSNIGets421() throws {
        let h = try sites(
            security: TransportSecurity(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", serverName: "a.example"))
        h.transport.receive(get("/f.txt", host: "b.example"))
        #expect(h.transport.takeSent() == errorPage(.misdirectedRequest, close: false))
        #expect(h.host.lookupSites == [])
        #expect(
            h.host.logs.last?.message
                == "[client 192.0.2.7] 421 \"GET /f.txt HTTP/1.1\": Host b.example is not the site of the TLS server name a.example"
        )
        #expect(h.host.logSites.last == 1)
        // The Host may name the SNI site by another of its names, in any case, with a port.
        h.transport.receive(get("/f.txt", host: "WWW.A.example:443"))
        #expect(h.transport.takeSent() == ok("site a"))
        #expect(h.host.lookupSites == [1])
        #expect(h.host.outcomes.map(\.code) == [421, 200])
        #expect(h.host.outcomes.last?.logEntry?.tlsProtocol == "TLSv1.3")
    }

    @Test func sniAndHostAgreeing() throws {
        let h = try sites(
            security: TransportSecurity(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", serverName: "B.EXAMPLE"))
        h.transport.receive(get("/f.txt", host: "b.example"))
        #expect(h.transport.takeSent() == ok("site b"))
        #expect(h.host.lookupSites == [2])
    }

    @Test func withoutHostTheSNISiteAnswers() throws {
        let h = try sites(
            security: TransportSecurity(version: "TLSv1.2", cipher: "ECDHE-RSA-AES128-GCM-SHA256", serverName: "q.example.org"))
        h.transport.receive("GET /f.txt HTTP/1.0\r\n\r\n")
        #expect(h.transport.takeSent() == ok("site b", after: "Connection: close\r\n"))
        #expect(h.host.lookupSites == [2])
    }

    // MARK: Redirect

    @Test func redirectsCarryTheRestOfThePathAndTheQuery() throws {
        let h = try site("Redirect 301 /old https://new.example/\nRedirect 308 /docs/ /manual")
        h.host.files["/older"] = memoryFile("older")
        h.transport.receive(get("/old/a%20b/c%3F?x=1&y"))
        #expect(
            h.transport.takeSent()
                == redirect("301 Moved Permanently", "Moved Permanently", to: "https://new.example/a%20b/c%3F?x=1&y"))
        h.transport.receive(get("/old"))
        #expect(h.transport.takeSent() == redirect("301 Moved Permanently", "Moved Permanently", to: "https://new.example/"))
        h.transport.receive(get("/docs/x/./y?q"))
        #expect(h.transport.takeSent() == redirect("308 Permanent Redirect", "Permanent Redirect", to: "/manual/x/y?q"))
        h.transport.receive(get("/docs"))
        #expect(h.transport.takeSent() == redirect("308 Permanent Redirect", "Permanent Redirect", to: "/manual"))
        // Redirects come before any file-system work.
        #expect(h.host.lookupPaths == [])
        // The prefix covers whole segments only.
        h.transport.receive(get("/older") + get("/documents"))
        #expect(h.transport.takeSent() == ok("older") + errorPage(.notFound, close: false))
        #expect(h.host.lookupPaths == ["/older", "/documents"])
        #expect(h.host.outcomes.map(\.code) == [301, 301, 308, 308, 200, 404])
        #expect(h.state == .idle)
    }

    @Test func aHeadRedirectHasNoBody() throws {
        let h = try site("Redirect /old /new")
        h.transport.receive("HEAD /old/x HTTP/1.1\r\nHost: a.example\r\n\r\n")
        let page = redirectPage("302 Found", "Found", to: "/new/x")
        #expect(h.transport.takeSent() == redirectHead("302 Found", to: "/new/x", length: page.utf8.count))
    }

    // MARK: Headers

    private static let headerSite = """
        Header set X-Site a
        Header unset Accept-Ranges
        <Location /assets>
          Header set X-Asset yes
          Header always set X-Site assets
        </Location>
        """

    private func headerHarness() throws -> Harness {
        let h = try site(Self.headerSite, server: "Header always set X-Content-Type-Options nosniff")
        h.host.files["/f.txt"] = memoryFile("hello")
        h.host.files["/assets/f.txt"] = memoryFile("asset")
        return h
    }

    private static let withoutAcceptRanges =
        "Content-Type: text/plain; charset=utf-8\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nETag: \"e\"\r\n"

    @Test func headerRulesOnA200() throws {
        let h = try headerHarness()
        h.transport.receive(get("/f.txt") + get("/assets/f.txt"))
        #expect(
            h.transport.takeSent()
                == ok("hello", fields: Self.withoutAcceptRanges, extra: "X-Content-Type-Options: nosniff\r\nX-Site: a\r\n")
                + ok(
                    "asset", fields: Self.withoutAcceptRanges,
                    extra: "X-Content-Type-Options: nosniff\r\nX-Asset: yes\r\nX-Site: assets\r\n"))
    }

    @Test func headerRulesOnA304() throws {
        let h = try headerHarness()
        h.transport.receive(get("/f.txt", fields: "If-None-Match: \"e\"\r\n"))
        #expect(
            h.transport.takeSent()
                == "HTTP/1.1 304 Not Modified\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\n"
                + "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nETag: \"e\"\r\nX-Content-Type-Options: nosniff\r\nX-Site: a\r\n\r\n"
        )
    }

    @Test func onlyAlwaysRulesReachErrors() throws {
        let h = try headerHarness()
        h.transport.receive(get("/missing") + get("/assets/missing"))
        #expect(
            h.transport.takeSent()
                == errorPage(.notFound, close: false, extra: "X-Content-Type-Options: nosniff\r\n")
                + errorPage(.notFound, close: false, extra: "X-Content-Type-Options: nosniff\r\nX-Site: assets\r\n"))
    }

    @Test func headerRulesOnARedirect() throws {
        let h = try site("Redirect 301 /old /new\nHeader set X-Site a")
        h.transport.receive(get("/old?a"))
        #expect(
            h.transport.takeSent() == redirect("301 Moved Permanently", "Moved Permanently", to: "/new?a", extra: "X-Site: a\r\n")
        )
    }

    @Test func aSitesHeadersReachItsAnswersThatNeedNoFile() throws {
        let h = try headerHarness()
        h.transport.receive(
            "OPTIONS /f.txt HTTP/1.1\r\nHost: a.example\r\n\r\n" + "DELETE /f.txt HTTP/1.1\r\nHost: a.example\r\n\r\n")
        #expect(
            h.transport.takeSent()
                == "HTTP/1.1 200 OK\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\nAllow: GET, HEAD, OPTIONS\r\n"
                + "X-Content-Type-Options: nosniff\r\nX-Site: a\r\nContent-Length: 0\r\n\r\n"
                + errorPage(
                    .methodNotAllowed, close: false, extra: "Allow: GET, HEAD, OPTIONS\r\nX-Content-Type-Options: nosniff\r\n"))
    }

    @Test func theMonitoringEndpointsAfterASitesRequestAreNotTheSites() throws {
        let h = try headerHarness()
        h.transport.receive(get("/assets/f.txt") + get("/healthz"))
        #expect(
            h.transport.takeSent()
                == ok(
                    "asset", fields: Self.withoutAcceptRanges,
                    extra: "X-Content-Type-Options: nosniff\r\nX-Asset: yes\r\nX-Site: assets\r\n")
                + "HTTP/1.1 200 OK\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: 3\r\n\r\nok\n")
        #expect(h.host.outcomes.map(\.site) == [1, 0])
    }

    @Test func aBadHeadAfterASitesRequestIsNotTheSites() throws {
        let h = try site("Header always set X-Site a\nErrorDocument 400 /400.html")
        h.host.files["/f.txt"] = memoryFile("hello")
        h.host.files["/400.html"] = memoryFile("site's 400 page", type: "text/html")
        h.transport.receive(get("/f.txt") + "GET /f.txt HTTP/1.1\r\nHost: a.example\r\nBad Name: x\r\n\r\n")
        #expect(h.transport.takeSent() == ok("hello", extra: "X-Site: a\r\n") + errorPage(.badRequest, close: true))
        #expect(h.host.lookupPaths == ["/f.txt"])
        #expect(h.host.outcomes.map(\.site) == [1, 0])
    }

    @Test func anErrorBeforeAnySiteGetsTheMainServersAlwaysRules() throws {
        let h = try site("Header always set X-Site a", server: "Header always set X-Content-Type-Options nosniff")
        h.transport.receive("GET /f.txt HTTP/1.1\r\nHost: a.example\r\nBad Name: x\r\n\r\n")
        let sent = h.transport.takeSent()
        #expect(sent.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(sent.contains("\r\nX-Content-Type-Options: nosniff\r\n"))
        #expect(!sent.contains("X-Site"))
    }

    @Test func thePlainFieldsAreRenderedOncePerFileAndScope() throws {
        let h = try headerHarness()
        guard case .file(let resource) = memoryFile("hello") else { return }
        h.host.files["/f.txt"] = .file(resource)
        h.host.files["/assets/f.txt"] = .file(resource)
        h.transport.receive(get("/f.txt"))
        let site = h.host.active.settings.sites[1]
        let rendered = try #require(resource.renderedFields)
        // (Compared outside #expect: the macro's thunk for `===` on AnyObject crashes Swift 6.3.1's SILGen.)
        let renderedForSite = rendered.settings === site.scope
        #expect(renderedForSite)
        let fields =
            "Server: httpd/\(httpdVersion)\r\n" + Self.withoutAcceptRanges
            + "X-Content-Type-Options: nosniff\r\nX-Site: a\r\nContent-Length: 5\r\n"
        #expect(String(decoding: rendered.bytes, as: UTF8.self) == fields)
        #expect(
            h.transport.takeSent()
                == ok("hello", fields: Self.withoutAcceptRanges, extra: "X-Content-Type-Options: nosniff\r\nX-Site: a\r\n"))
        // The next plain response for the same scope copies the rendered fields as they are.
        let marked = "Server: httpd/\(httpdVersion)\r\n" + Self.withoutAcceptRanges + "X-Site: A\r\nContent-Length: 5\r\n"
        resource.renderedFields = (site.scope, Array(marked.utf8))
        h.transport.receive(get("/f.txt"))
        #expect(h.transport.takeSent() == ok("hello", fields: Self.withoutAcceptRanges, extra: "X-Site: A\r\n"))
        // Another scope renders its own.
        h.transport.receive(get("/assets/f.txt"))
        #expect(
            h.transport.takeSent()
                == ok(
                    "hello", fields: Self.withoutAcceptRanges,
                    extra: "X-Content-Type-Options: nosniff\r\nX-Asset: yes\r\nX-Site: assets\r\n"))
        let renderedForLocation = resource.renderedFields?.settings === site.locations[0]
        #expect(renderedForLocation)
        // A reload's settings are other settings: rendered again, with the new rules.
        try h.host.reload { $0.virtualHosts[0].config.headers[1].value = "b" }
        h.transport.receive(get("/f.txt"))
        #expect(
            h.transport.takeSent()
                == ok("hello", fields: Self.withoutAcceptRanges, extra: "X-Content-Type-Options: nosniff\r\nX-Site: b\r\n"))
    }

    // MARK: TryFiles and FallbackFile

    @Test func tryFilesServesTheFirstPathFound() throws {
        let h = try site("TryFiles $uri $uri.html $uri/ =404")
        h.host.files["/about.html"] = memoryFile("about")
        h.transport.receive(get("/about"))
        #expect(h.transport.takeSent() == ok("about"))
        #expect(h.host.lookupPaths == ["/about", "/about.html"])
        #expect(h.host.lookupSites == [1, 1])
    }

    @Test func tryFilesServesAFoldersIndexWithoutARedirect() throws {
        let h = try site("TryFiles $uri $uri.html $uri/ =404")
        h.host.files["/docs"] = .directoryRedirect
        h.host.files["/docs/"] = memoryFile("index", servedPath: "/docs/index.html")
        h.transport.receive(get("/docs?x"))
        #expect(h.transport.takeSent() == ok("index"))
        #expect(h.host.lookupPaths == ["/docs", "/docs.html", "/docs/"])
    }

    @Test func aFolderLastInTryFilesIsRedirected() throws {
        let h = try site("TryFiles $uri.html $uri")
        h.host.files["/docs"] = .directoryRedirect
        h.transport.receive(get("/docs?x=1"))
        #expect(h.transport.takeSent() == redirect("301 Moved Permanently", "301 Moved Permanently", to: "/docs/?x=1"))
        #expect(h.host.lookupPaths == ["/docs.html", "/docs"])
    }

    @Test func tryFilesFindingNothingAnswersItsCode() throws {
        let h = try site("TryFiles $uri $uri.html $uri/ =404")
        h.transport.receive(get("/nothing"))
        #expect(h.transport.takeSent() == errorPage(.notFound, close: false))
        #expect(h.host.lookupPaths == ["/nothing", "/nothing.html", "/nothing/"])
        #expect(
            h.host.logs.last?.message == "[client 192.0.2.7] 404 \"GET /nothing HTTP/1.1\": TryFiles: nothing found for /nothing")
    }

    @Test func tryFilesFinalCodeOtherThan404() throws {
        let h = try site("TryFiles $uri =410")
        h.transport.receive(get("/gone"))
        #expect(h.transport.takeSent() == errorPage(HTTPStatus(410), close: true))
        #expect(HTTPStatus(410).description == "410 Gone")
        #expect(h.host.lookupPaths == ["/gone"])
        #expect(h.host.outcomes.map(\.code) == [410])
    }

    @Test func tryFilesLooksUpEachPathOnAWorker() throws {
        let h = try site("TryFiles $uri $uri.html $uri/index.html")
        h.host.deferLookups = true
        h.host.files["/a/b/index.html"] = memoryFile("deep")
        h.transport.receive(get("/a/b"))
        for path in ["/a/b", "/a/b.html", "/a/b/index.html"] {
            #expect(h.host.pendingLookups.map(\.path) == [path])
            #expect(h.state == .waitingForFile)
            #expect(h.transport.sent.isEmpty)
            h.host.completeLookup()
        }
        #expect(h.transport.takeSent() == ok("deep"))
        #expect(h.host.lookupPaths == ["/a/b", "/a/b.html", "/a/b/index.html"])
        #expect(h.state == .idle)
    }

    @Test func tryFilesWithoutACodeEndsInA404() throws {
        let h = try site("TryFiles $uri.html")
        h.host.deferLookups = true
        h.transport.receive(get("/x") + get("/x"))
        h.host.completeLookup()
        #expect(h.transport.takeSent() == errorPage(.notFound, close: false))
        // The pipelined request starts its own tries.
        #expect(h.host.pendingLookups.map(\.path) == ["/x.html"])
        h.host.files["/x.html"] = memoryFile("x")
        h.host.completeLookup()
        #expect(h.transport.takeSent() == ok("x"))
    }

    @Test func fallbackFileServesHTMLClientsOnly() throws {
        let h = try site("FallbackFile /index.html")
        h.host.files["/index.html"] = memoryFile("<app>", type: "text/html; charset=utf-8", servedPath: "/index.html")
        let app = ok(
            "<app>",
            fields: "Content-Type: text/html; charset=utf-8\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nETag: \"e\"\r\n"
                + "Accept-Ranges: bytes\r\n")
        h.transport.receive(get("/app/users/7", fields: "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"))
        #expect(h.transport.takeSent() == app)
        #expect(h.host.lookupPaths == ["/app/users/7", "/index.html"])
        h.transport.receive(get("/x.js", fields: "Accept: text/html\r\n"))
        #expect(h.transport.takeSent() == errorPage(.notFound, close: false))
        h.transport.receive(get("/api/users", fields: "Accept: application/json\r\n"))
        #expect(h.transport.takeSent() == errorPage(.notFound, close: false))
        #expect(h.host.lookupPaths == ["/app/users/7", "/index.html", "/x.js", "/api/users"])
        // No Accept at all accepts HTML.
        h.transport.receive(get("/settings"))
        #expect(h.transport.takeSent() == app)
        #expect(h.host.outcomes.map(\.code) == [200, 404, 404, 200])
    }

    @Test func fallbackFileAfterTryFiles() throws {
        let h = try site("TryFiles $uri $uri.html\nFallbackFile /index.html")
        h.host.deferLookups = true
        h.host.files["/index.html"] = memoryFile("app", servedPath: "/index.html")
        h.transport.receive(get("/route"))
        h.host.completeLookup()
        h.host.completeLookup()
        #expect(h.host.pendingLookups.map(\.path) == ["/index.html"])
        #expect(h.transport.sent.isEmpty)
        h.host.completeLookup()
        #expect(h.transport.takeSent() == ok("app"))
    }

    @Test func aMissingFallbackFileIsA404() throws {
        let h = try site("FallbackFile /index.html")
        h.transport.receive(get("/route"))
        #expect(h.transport.takeSent() == errorPage(.notFound, close: false))
        #expect(
            h.host.logs.last?.message
                == "[client 192.0.2.7] 404 \"GET /route HTTP/1.1\": /route not found, nor FallbackFile /index.html")
    }

    // MARK: ErrorDocument

    @Test func errorDocumentsPerSiteAndPerLocation() throws {
        let h = try sites("ErrorDocument 404 /main404.html\n<Location /docs>\nErrorDocument 404 /docs404.html\n</Location>")
        h.host.siteFiles[1]!["/main404.html"] = memoryFile("a's page", type: "text/html")
        h.host.siteFiles[2]!["/main404.html"] = memoryFile("b's page", type: "text/html")
        h.host.siteFiles[2]!["/docs404.html"] = memoryFile("b's docs page", type: "text/html")
        h.transport.receive(get("/missing", host: "b.example") + get("/docs/missing", host: "b.example") + get("/missing"))
        #expect(
            h.transport.takeSent() == notFoundDocument("b's page") + notFoundDocument("b's docs page")
                + notFoundDocument("a's page"))
        #expect(h.host.lookupSites == [2, 2, 2, 2, 1, 1])
        #expect(
            h.host.lookupPaths == ["/missing", "/main404.html", "/docs/missing", "/docs404.html", "/missing", "/main404.html"])
    }

    @Test func aSitesOwnErrorDocumentAndItsLocations() throws {
        let h = try site("ErrorDocument 404 /nf.html\n<Location /a>\nErrorDocument 404 /a.html\n</Location>")
        h.host.files["/nf.html"] = memoryFile("site page", type: "text/html")
        h.host.files["/a.html"] = memoryFile("a page", type: "text/html")
        h.transport.receive(get("/x") + get("/a/x") + get("/ab"))
        #expect(
            h.transport.takeSent() == notFoundDocument("site page") + notFoundDocument("a page") + notFoundDocument("site page"))
        #expect(h.host.lookupPaths == ["/x", "/nf.html", "/a/x", "/a.html", "/ab", "/nf.html"])
        #expect(h.host.lookupSites == [1, 1, 1, 1, 1, 1])
    }

    @Test func anErrorDocumentOnAWorker() throws {
        let h = try site("TryFiles $uri =404\nErrorDocument 404 /nf.html")
        h.host.deferLookups = true
        h.host.files["/nf.html"] = memoryFile("site page", type: "text/html")
        h.transport.receive(get("/x"))
        h.host.completeLookup()
        #expect(h.host.pendingLookups.map(\.path) == ["/nf.html"])
        #expect(h.transport.sent.isEmpty)
        h.host.completeLookup()
        #expect(h.transport.takeSent() == notFoundDocument("site page"))
        #expect(h.state == .idle)
    }

    // MARK: Basic authentication

    private static let authSite = """
        <Location /private>
          AuthType Basic
          AuthName "Staff \\"only\\""
          AuthUserFile /etc/httpd/users
          Require valid-user
        </Location>
        <Location /private/open>
          AuthType None
        </Location>
        <Location /alice>
          AuthType Basic
          AuthName Alice
          AuthUserFile /etc/httpd/users
          Require user alice
        </Location>
        """

    private static let challenge = "WWW-Authenticate: Basic realm=\"Staff \\\"only\\\"\", charset=\"UTF-8\"\r\n"

    private func authHarness() throws -> Harness {
        let h = try site(Self.authSite)
        h.host.passwords = ["alice": "wonderland", "bob": "builder", "jo\"sé\\": "pw"]
        h.host.siteFiles[1] = [
            "/private/f.txt": memoryFile("secret"), "/private/open/f.txt": memoryFile("open"), "/alice/f.txt": memoryFile("hers"),
        ]
        return h
    }

    private func basic(_ credentials: String) -> String {
        "Authorization: Basic " + String(decoding: Base64.encode(Array(credentials.utf8)), as: UTF8.self) + "\r\n"
    }

    @Test func noCredentialsGet401WithTheChallenge() throws {
        let h = try authHarness()
        h.transport.receive(get("/private/f.txt"))
        #expect(h.transport.takeSent() == errorPage(.unauthorized, close: false, extra: Self.challenge))
        #expect(h.host.lookupPaths == [])
        #expect(h.state == .idle)
        #expect(h.host.logs.map(\.level) == [.info])
        #expect(h.host.outcomes.first?.logEntry?.user == nil)
    }

    @Test func anotherSchemeGets401() throws {
        let h = try authHarness()
        h.transport.receive(get("/private/f.txt", fields: "Authorization: Bearer abc.def\r\n"))
        #expect(h.transport.takeSent() == errorPage(.unauthorized, close: false, extra: Self.challenge))
    }

    @Test(arguments: ["Authorization: Basic !!!!\r\n", "Authorization: Basic YWxpY2U=\r\n", "Authorization: Basic\r\n"])
    func malformedCredentialsGet400(field: String) throws {
        let h = try authHarness()
        h.transport.receive(get("/private/f.txt", fields: field))
        #expect(h.transport.takeSent() == errorPage(.badRequest, close: true))
        #expect(h.host.lookupPaths == [])
    }

    @Test func theRightPasswordIsServedAndLogged() throws {
        let h = try authHarness()
        h.transport.receive(get("/private/f.txt", fields: basic("alice:wonderland")))
        #expect(h.transport.takeSent() == ok("secret"))
        #expect(h.host.outcomes.first?.logEntry?.user == "alice")
        #expect(h.host.lookupPaths == ["/private/f.txt"])
        #expect(!h.host.logs.contains { $0.level == .warn })
    }

    @Test func aWrongPasswordGets401AndAWarning() throws {
        let h = try authHarness()
        h.transport.receive(get("/private/f.txt", fields: basic("alice:Wonderland")))
        #expect(h.transport.takeSent() == errorPage(.unauthorized, close: false, extra: Self.challenge))
        #expect(h.host.lookupPaths == [])
        #expect(h.host.outcomes.first?.logEntry?.user == nil)
        #expect(
            h.host.logs.first { $0.level == .warn }?.message
                == "[client 192.0.2.7] authentication failed: user alice: wrong password")
        #expect(h.state == .idle)
    }

    @Test func requireUserRefusesAnotherValidUser() throws {
        let h = try authHarness()
        h.transport.receive(
            get("/alice/f.txt", fields: basic("bob:builder")) + get("/alice/f.txt", fields: basic("alice:wonderland")))
        #expect(
            h.transport.takeSent()
                == errorPage(.unauthorized, close: false, extra: "WWW-Authenticate: Basic realm=\"Alice\", charset=\"UTF-8\"\r\n")
                + ok("hers"))
        #expect(h.host.outcomes.map(\.logEntry?.user) == [nil, "alice"])
    }

    @Test func aHostileUserNameIsEscapedInTheLogs() throws {
        let h = try authHarness()
        h.transport.receive(
            get("/private/f.txt", fields: basic("jo\"sé\\:pw")) + get("/private/f.txt", fields: basic("jo\"sé\\:x")))
        #expect(h.transport.takeSent().hasPrefix(ok("secret")))
        // The user as sent, byte for byte (ISO-8859-1), as the request line.
        #expect(h.host.outcomes.first?.logEntry?.user == "jo\"s\u{c3}\u{a9}\\")
        let entry = try #require(h.host.outcomes.first?.logEntry)
        #expect(
            AccessLogFormat.common.line(entry, time: "T")
                == "192.0.2.7 - jo\\\"s\\xc3\\xa9\\\\ [T] \"GET /private/f.txt HTTP/1.1\" 200 6\n")
        // The message holds the name as sent: the error log escapes the whole line once (escaping the name here
        // too doubled every backslash in the file).
        #expect(
            h.host.logs.first { $0.level == .warn }?.message
                == "[client 192.0.2.7] authentication failed: user jo\"s\u{c3}\u{a9}\\: wrong password")
        #expect(
            LogText.escape(h.host.logs.first { $0.level == .warn }?.message ?? "", quotes: false)
                == "[client 192.0.2.7] authentication failed: user jo\"s\\xc3\\xa9\\\\: wrong password")
    }

    @Test func aDelayedFailureAnswersOnlyAfterTheDelay() throws {
        let h = try authHarness()
        h.host.failureDelay = 4
        h.transport.receive(get("/private/f.txt", fields: basic("alice:nope")) + get("/private/open/f.txt"))
        #expect(h.transport.sent.isEmpty)
        #expect(h.state == .waitingForFile)
        #expect(!h.transport.readingEnabled)
        h.clock.advance(by: 3.9)
        #expect(h.transport.sent.isEmpty)
        h.clock.advance(by: 0.1)
        // The 401, then the pipelined request.
        #expect(h.transport.takeSent() == errorPage(.unauthorized, close: false, extra: Self.challenge) + ok("open"))
        #expect(
            h.host.logs.first { $0.level == .warn }?.message
                == "[client 192.0.2.7] authentication failed: user alice: wrong password (answered after a delay: repeated failures)"
        )
        #expect(h.state == .idle)
        #expect(h.host.outcomes.map(\.code) == [401, 200])
    }

    @Test func aDeferredCheck() throws {
        let h = try authHarness()
        h.host.deferLookups = true
        h.transport.receive(get("/private/f.txt", fields: basic("alice:wonderland")))
        #expect(h.host.pendingPasswords.count == 1)
        #expect(h.state == .waitingForFile)
        #expect(h.transport.sent.isEmpty)
        h.host.completePassword()
        #expect(h.transport.takeSent() == ok("secret"))
        #expect(h.host.outcomes.first?.logEntry?.user == "alice")
        // A deferred failure.
        h.transport.receive(get("/private/f.txt", fields: basic("bob:x")))
        h.host.completePassword()
        #expect(h.transport.takeSent() == errorPage(.unauthorized, close: false, extra: Self.challenge))
        #expect(h.state == .idle)
    }

    @Test func closingDuringADeferredCheck() throws {
        let h = try authHarness()
        h.host.deferLookups = true
        h.transport.receive(get("/private/f.txt", fields: basic("alice:wonderland")))
        h.transport.breaks(ECONNRESET)
        #expect(h.closed)
        h.host.completePassword()
        #expect(h.transport.sent.isEmpty)
        #expect(h.host.outcomes.isEmpty)
        #expect(h.host.lookupPaths == [])
        #expect(h.connection.exchange == nil)
    }

    @Test func anUnreadablePasswordFileIs500() throws {
        let h = try authHarness()
        h.host.deferLookups = true
        h.transport.receive(get("/private/f.txt", fields: basic("alice:wonderland")))
        var check = PasswordCheck(user: "alice", passed: false, reason: "AuthUserFile cannot be read: Permission denied")
        check.fileUnreadable = true
        h.connection.passwordChecked(check)
        #expect(h.transport.takeSent() == errorPage(.internalServerError, close: true))
        #expect(
            h.host.logs.last?.message
                == "[client 192.0.2.7] 500 \"GET /private/f.txt HTTP/1.1\": AuthUserFile cannot be read: Permission denied")
        #expect(h.host.outcomes.first?.logEntry?.user == nil)
    }

    @Test func aHalfCloseDuringADeferredCheckIsAnsweredThenCloses() throws {
        let h = try authHarness()
        h.host.deferLookups = true
        h.transport.receive(get("/private/f.txt", fields: basic("alice:wonderland")))
        h.transport.clientCloses()
        #expect(!h.closed)
        h.host.completePassword()
        #expect(h.transport.takeSent() == ok("secret"))
        #expect(h.closed)
    }

    @Test func closingDuringADelay() throws {
        let h = try authHarness()
        h.host.failureDelay = 2
        h.transport.receive(get("/private/f.txt", fields: basic("alice:nope")))
        h.transport.breaks(ECONNRESET)
        #expect(h.closed)
        h.clock.advance(by: 5)
        #expect(h.transport.sent.isEmpty)
        #expect(h.host.outcomes.isEmpty)
        #expect(!h.host.logs.contains { $0.level == .warn })
        #expect(h.connection.exchange == nil)
    }

    @Test func eachPipelinedRequestBringsItsOwnCredentials() throws {
        let h = try authHarness()
        h.transport.receive(
            get("/private/f.txt", fields: basic("alice:wonderland")) + get("/private/f.txt")
                + get("/alice/f.txt", fields: basic("bob:builder"))
                + get("/private/f.txt", fields: basic("bob:builder")))
        #expect(
            h.transport.takeSent()
                == ok("secret") + errorPage(.unauthorized, close: false, extra: Self.challenge)
                + errorPage(.unauthorized, close: false, extra: "WWW-Authenticate: Basic realm=\"Alice\", charset=\"UTF-8\"\r\n")
                + ok("secret"))
        #expect(h.host.outcomes.map(\.logEntry?.user) == ["alice", nil, nil, "bob"])
    }

    @Test func aDeferredCheckThenPipelinedRequests() throws {
        let h = try authHarness()
        h.host.deferLookups = true
        h.transport.receive(
            get("/private/f.txt", fields: basic("alice:wonderland")) + get("/private/open/f.txt") + get("/private/f.txt"))
        h.host.completePassword()
        #expect(
            h.transport.takeSent() == ok("secret") + ok("open") + errorPage(.unauthorized, close: false, extra: Self.challenge))
        #expect(h.host.outcomes.map(\.logEntry?.user) == ["alice", nil, nil])
    }

    @Test func authTypeNoneOpensASubLocation() throws {
        let h = try authHarness()
        h.transport.receive(get("/private/open/f.txt") + get("/private/opener"))
        #expect(h.transport.takeSent().hasPrefix(ok("open") + "HTTP/1.1 401 Unauthorized\r\n"))
        #expect(h.host.lookupPaths == ["/private/open/f.txt"])
    }

    @Test func theCheckedPathIsTheNormalizedOne() throws {
        let h = try authHarness()
        h.transport.receive(get("/%70rivate/../private/f.txt") + get("/open/../private//f.txt"))
        let sent = h.transport.takeSent()
        #expect(
            sent == errorPage(.unauthorized, close: false, extra: Self.challenge)
                + errorPage(.unauthorized, close: false, extra: Self.challenge))
    }
}
