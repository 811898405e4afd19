// The connection state machine driven through an in-memory transport and a manual clock: exact
// bytes out for bytes in, pipelining, heads split anywhere, every deadline, lingering close,
// graceful drain, lookups that finish late, file regions sent from a shared segment.

import Testing

@testable import Config
@testable import Files
@testable import HTTPCore
@testable import IO
@testable import Server
@testable import Support

#if canImport(Glibc)
    import Glibc
#endif

private let get = "GET /f.txt HTTP/1.1\r\nHost: h\r\n\r\n"

private func ok(_ body: String, extra: String = "") -> String {
    "HTTP/1.1 200 OK\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\n"
        + "Content-Type: text/plain; charset=utf-8\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nETag: \"e\"\r\n"
        + "Accept-Ranges: bytes\r\nContent-Length: \(body.utf8.count)\r\n\(extra)\r\n\(body)"
}

private func errorPage(_ status: HTTPStatus, close: Bool) -> String {
    let html = "<!DOCTYPE html>\n<html><head><title>\(status)</title></head>\n<body><h1>\(status)</h1></body></html>\n"
    return "HTTP/1.1 \(status)\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\n"
        + "Content-Type: text/html; charset=utf-8\r\nContent-Length: \(html.utf8.count)\r\n"
        + (close ? "Connection: close\r\n" : "") + "\r\n" + html
}

@Suite struct ConnectionTests {
    // MARK: Requests and responses

    @Test func servesAFileAndGoesIdle() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("hello")
        h.transport.receive(get)
        #expect(h.transport.takeSent() == ok("hello"))
        #expect(h.state == .idle)
        #expect(h.transport.readingEnabled)
        #expect(h.host.outcomes.count == 1)
        let outcome = try #require(h.host.outcomes.first)
        #expect(outcome.code == 200 && outcome.bodyBytes == 5 && outcome.totalBytes == ok("hello").utf8.count)
        #expect(outcome.logEntry?.requestLine == "GET /f.txt HTTP/1.1")
        #expect(outcome.logEntry?.client == "192.0.2.7")
        #expect(h.host.lookupGenerations == [ObjectIdentifier(h.host.active)])
    }

    @Test func pipelinedRequestsAnswerInOrder() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("one")
        h.host.files["/g.txt"] = memoryFile("two", servedPath: "/g.txt")
        h.transport.receive(get + "GET /g.txt HTTP/1.1\r\nHost: h\r\n\r\n" + "GET /none HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(h.transport.takeSent() == ok("one") + ok("two") + errorPage(.notFound, close: false))
        #expect(h.host.outcomes.map(\.code) == [200, 200, 404])
        #expect(h.state == .idle)
        #expect(h.transport.inputCount == 0)
    }

    @Test func aPipelinedRequestIsAuthenticatedOnItsOwn() throws {
        let h = try Harness {
            $0.authType = "Basic"
            $0.authName = "r"
            $0.authUserFile = "/pw"
            $0.require = .validUser
        }
        h.host.passwords = ["alice": "pw"]
        h.host.files["/f.txt"] = memoryFile("hello")
        // alice:pw, then the same file without credentials on the same exchange (pipelined).
        h.transport.receive("GET /f.txt HTTP/1.1\r\nHost: h\r\nAuthorization: Basic YWxpY2U6cHc=\r\n\r\n" + get)
        let sent = h.transport.takeSent()
        #expect(sent.hasPrefix(ok("hello")))
        #expect(sent.dropFirst(ok("hello").count).hasPrefix("HTTP/1.1 401 Unauthorized\r\n"))
        #expect(h.host.outcomes.map(\.code) == [200, 401])
        #expect(h.host.outcomes.map { $0.logEntry?.user } == ["alice", nil])
    }

    @Test func headSplitAtEveryByte() throws {
        let bytes = Array((get + get).utf8)
        for split in 1..<bytes.count {
            let h = try Harness()
            h.host.files["/f.txt"] = memoryFile("hi")
            h.transport.receive(Array(bytes[..<split]))
            h.transport.receive(Array(bytes[split...]))
            #expect(h.transport.takeSent() == ok("hi") + ok("hi"), "split at \(split)")
        }
    }

    @Test(arguments: ["/../%CC%81x", "/%CC%81/../../x", "/a%D8%80/../..", "/%CC", "/a/%CC%81%FF"])
    func bytePathRefusalsWholeAndSplit(target: String) throws {
        let bytes = Array("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
        for split in 0..<bytes.count {
            let h = try Harness()
            h.host.files["/../\u{301}x"] = memoryFile("outside")
            if split > 0 { h.transport.receive(Array(bytes[..<split])) }
            h.transport.receive(Array(bytes[split...]))
            #expect(h.transport.takeSent().hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(target) split at \(split)")
            #expect(h.host.lookupGenerations.isEmpty, "\(target) split at \(split)")
        }
    }

    @Test func headByteByByte() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("hi")
        for b in Array(get.utf8) {
            #expect(h.transport.sent.isEmpty)
            h.transport.receive([b])
        }
        #expect(h.transport.takeSent() == ok("hi"))
    }

    @Test func badHeadIsAnsweredAndClosed() throws {
        let h = try Harness()
        h.transport.receive("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n")
        #expect(h.transport.takeSent() == errorPage(.badRequest, close: true))
        #expect(h.state == .lingering)
        #expect(h.transport.writeShut)
        #expect(h.host.logs.contains { $0.level == .info && $0.message.hasPrefix("[client 192.0.2.7] 400 ") })
    }

    @Test func headRequestHasNoBody() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("hello")
        h.transport.receive("HEAD /f.txt HTTP/1.1\r\nHost: h\r\n\r\n")
        let full = ok("hello")
        #expect(h.transport.takeSent() == String(full.dropLast(5)))
        #expect(h.host.outcomes.first?.bodyBytes == 0)
    }

    @Test func http10ClosesUnlessKeepAliveAsked() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        h.transport.receive("GET /f.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(h.transport.takeSent() == ok("a", extra: "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n"))
        #expect(h.state == .idle)
        h.transport.receive("GET /f.txt HTTP/1.0\r\n\r\n")
        #expect(h.transport.takeSent() == ok("a", extra: "Connection: close\r\n"))
        // It asked for nothing more and sent nothing more: no lingering.
        #expect(h.closed && !h.transport.writeShut)
    }

    @Test func maxKeepAliveRequestsClosesAfterTheLast() throws {
        let h = try Harness { $0.maxKeepAliveRequests = 2 }
        h.host.files["/f.txt"] = memoryFile("a")
        h.transport.receive(get + get)
        #expect(h.transport.takeSent() == ok("a") + ok("a", extra: "Connection: close\r\n"))
        #expect(h.state == .lingering)
    }

    @Test func errorDocumentReplacesTheBuiltInPage() throws {
        let h = try Harness { $0.errorDocuments[404] = "/404.html" }
        h.host.files["/404.html"] = memoryFile("gone", type: "text/html; charset=utf-8", servedPath: "/404.html")
        h.transport.receive("GET /missing HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(
            h.transport.takeSent()
                == "HTTP/1.1 404 Not Found\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\n"
                + "Content-Type: text/html; charset=utf-8\r\nContent-Length: 4\r\n\r\ngone")
        #expect(h.state == .idle)
        #expect(h.host.logs.map(\.level) == [.debug])
    }

    @Test func expectContinueOnAFileRoute() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        h.transport.receive("GET /f.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        #expect(h.transport.takeSent() == "HTTP/1.1 100 Continue\r\n\r\n")
        #expect(h.state == .readingBody)
        h.transport.receive("abc")
        #expect(h.transport.takeSent() == ok("a"))
        #expect(h.state == .idle)
    }

    @Test func bodyLeftUnreadClosesTheConnection() throws {
        let h = try Harness()
        h.transport.receive("POST /f.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        let sent = h.transport.takeSent()
        #expect(sent.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(sent.contains("\r\nConnection: close\r\n"))
        #expect(h.state == .lingering)
    }

    @Test func settingsChangeBetweenRequestsNotDuringOne() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        h.transport.receive("GET /f.txt HTTP/1.1\r\n")
        try h.host.reload { $0.serverTokensFull = false }
        h.transport.receive("Host: h\r\n\r\n")
        #expect(h.transport.takeSent() == ok("a"))
        h.transport.receive(get)
        let full = ok("a")
        let prod = try #require(full.range(of: "Server: httpd/\(httpdVersion)\r\n"))
        #expect(h.transport.takeSent() == full.replacingCharacters(in: prod, with: "Server: httpd\r\n"))
    }

    // MARK: Deadlines

    @Test func silentConnectionClosesAfterTheHeadTimeout() throws {
        let h = try Harness { $0.requestHeaderTimeout = 20 }
        h.clock.advance(by: 19.9)
        #expect(!h.closed)
        h.clock.advance(by: 0.2)
        #expect(h.closed)
        #expect(h.transport.sent.isEmpty)
    }

    @Test func silentConnectionIsNotLogged() throws {
        let h = try Harness { $0.requestHeaderTimeout = 20 }
        h.clock.advance(by: 20.1)
        #expect(h.closed)
        #expect(h.host.logs.isEmpty)
    }

    @Test func stalledTLSHandshakeIsLoggedAtTheHeadTimeout() throws {
        let h = try Harness { $0.requestHeaderTimeout = 20 }
        h.transport.handshakeInProgress = true
        h.clock.advance(by: 19.9)
        #expect(!h.closed)
        h.clock.advance(by: 0.2)
        #expect(h.closed)
        #expect(h.transport.sent.isEmpty)
        #expect(h.host.logs.map(\.message) == ["[client 192.0.2.7] TLS handshake not completed within 20.0 s"])
    }

    @Test func headTimeoutCountsFromTheFirstByteNotEachByte() throws {
        let h = try Harness { $0.requestHeaderTimeout = 10 }
        for _ in 0..<5 {
            h.transport.receive("G")
            h.clock.advance(by: 1.9)
        }
        #expect(h.transport.sent.isEmpty)
        h.clock.advance(by: 0.6)
        #expect(h.transport.takeSent() == errorPage(.requestTimeout, close: true))
        #expect(h.state == .lingering)
        #expect(h.host.logs.last?.message.hasSuffix("request head not received within 10.0 s") == true)
    }

    @Test func bodyTimeout() throws {
        let h = try Harness { $0.requestBodyTimeout = 7 }
        h.transport.receive("POST /f.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc")
        #expect(h.state == .readingBody)
        h.clock.advance(by: 6.9)
        #expect(h.transport.sent.isEmpty)
        h.clock.advance(by: 0.2)
        #expect(h.transport.takeSent() == errorPage(.requestTimeout, close: true))
    }

    @Test func keepAliveTimeoutClosesAnIdleConnection() throws {
        let h = try Harness { $0.keepAliveTimeout = 5 }
        h.host.files["/f.txt"] = memoryFile("a")
        h.transport.receive(get)
        h.clock.advance(by: 4.9)
        #expect(h.state == .idle)
        h.clock.advance(by: 0.2)
        #expect(h.closed)
    }

    @Test func nextRequestStartsAFreshHeadDeadline() throws {
        let h = try Harness {
            $0.keepAliveTimeout = 5
            $0.requestHeaderTimeout = 20
        }
        h.host.files["/f.txt"] = memoryFile("a")
        h.transport.receive(get)
        h.clock.advance(by: 4)
        h.transport.receive("GET /f")
        #expect(h.state == .readingHead)
        h.clock.advance(by: 19.9)
        #expect(!h.closed && h.transport.takeSent() == ok("a"))
        h.clock.advance(by: 0.2)
        #expect(h.transport.takeSent() == errorPage(.requestTimeout, close: true))
    }

    @Test func sendTimeoutDropsAClientThatStopsReading() throws {
        let h = try Harness { $0.sendTimeout = 20 }
        h.host.files["/f.txt"] = memoryFile(String(repeating: "x", count: 1000))
        h.transport.window = 300
        h.transport.receive(get)
        #expect(h.state == .writing)
        #expect(h.transport.sent.count == 300)
        // Progress resets the deadline: SendTimeout bounds a stall, not the whole response.
        h.clock.advance(by: 15)
        h.transport.clientReads(50)
        h.clock.advance(by: 15)
        #expect(!h.closed)
        h.clock.advance(by: 5.1)
        #expect(h.closed)
        #expect(h.host.logs.last?.message == "[client 192.0.2.7] send timeout: the client stopped reading")
        // What reached the client is what the outcome counts.
        let headLength = ok(String(repeating: "x", count: 1000)).utf8.count - 1000
        let outcome = try #require(h.host.outcomes.first)
        #expect(outcome.totalBytes == 350)
        #expect(outcome.bodyBytes == 350 - headLength)
        #expect(outcome.logEntry?.bodyBytes == 350 - headLength)
    }

    @Test func slowReaderFinishesAndGoesIdle() throws {
        let h = try Harness()
        let body = String(repeating: "y", count: 300)
        h.host.files["/f.txt"] = memoryFile(body)
        h.transport.window = 0
        h.transport.receive(get)
        h.transport.clientReads(100)
        #expect(h.state == .writing)
        h.transport.clientReads(10_000)
        #expect(h.state == .idle)
        #expect(h.transport.takeSent() == ok(body))
        #expect(h.host.outcomes.count == 1)
    }

    // MARK: Lingering close

    @Test func lingeringCloseDrainsInputThenCloses() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        h.transport.receive("GET /f.txt HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /f.txt")
        #expect(h.transport.takeSent() == ok("a", extra: "Connection: close\r\n"))
        #expect(h.state == .lingering && h.transport.writeShut)
        #expect(h.transport.inputCount == 0)
        h.transport.receive("more bytes the server will never answer")
        #expect(h.transport.inputCount == 0 && h.transport.sent.isEmpty)
        h.transport.clientCloses()
        #expect(h.closed)
    }

    @Test func closeAskedWithNothingMoreSentClosesAtOnce() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        h.transport.receive("GET /f.txt HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        #expect(h.transport.takeSent() == ok("a", extra: "Connection: close\r\n"))
        #expect(h.closed && !h.transport.writeShut)
        #expect(h.host.outcomes.map(\.code) == [200])
    }

    @Test func closeAskedAfterASlowResponseClosesOnceItDrains() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("abcdef")
        h.transport.window = 10
        h.transport.receive("GET /f.txt HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        #expect(h.state == .writing)
        h.transport.clientReads(1000)
        #expect(h.transport.takeSent() == ok("abcdef", extra: "Connection: close\r\n"))
        #expect(h.closed && !h.transport.writeShut)
    }

    @Test func closeWantedByTheServerNotTheClientLingers() throws {
        let h = try Harness { $0.keepAlive = false }
        h.host.files["/f.txt"] = memoryFile("a")
        h.transport.receive(get)
        #expect(h.transport.takeSent() == ok("a", extra: "Connection: close\r\n"))
        #expect(h.state == .lingering && h.transport.writeShut)
    }

    @Test func errorAfterACloseRequestStillLingers() throws {
        let h = try Harness { $0.limitRequestBody = 2 }
        h.transport.receive("POST /f.txt HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 3\r\n\r\n")
        #expect(h.transport.takeSent().hasPrefix("HTTP/1.1 413 "))
        #expect(h.state == .lingering && h.transport.writeShut)
    }

    @Test func lingeringCloseEndsAfterTwoSeconds() throws {
        let h = try Harness()
        h.transport.receive("GET / HTTP/1.1\r\n\r\n")  // no Host: 400, close
        #expect(h.state == .lingering)
        h.clock.advance(by: 1.9)
        #expect(!h.closed)
        h.clock.advance(by: 0.2)
        #expect(h.closed)
    }

    @Test func halfCloseAfterPipeliningStillGetsAnswers() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        h.host.deferLookups = true
        h.transport.receive(get + get)
        h.transport.clientCloses()
        #expect(!h.closed)
        h.host.completeLookup()
        h.host.completeLookup()
        #expect(h.transport.takeSent() == ok("a") + ok("a"))
        #expect(h.closed)
    }

    // MARK: Request state borrowed per request

    @Test func anIdleConnectionHoldsNoRequestState() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        #expect(h.connection.exchange == nil)
        h.transport.receive("GET /f.txt HTTP/1.1\r\n")
        let borrowed = try #require(h.connection.exchange)
        h.transport.receive("Host: h\r\n\r\n")
        #expect(h.transport.takeSent() == ok("a"))
        #expect(h.state == .idle && h.connection.exchange == nil && h.transport.buffersReleased == 1)
        #expect(h.host.exchanges.spare == [borrowed])
        // The next request borrows the same one and gives it back.
        h.transport.receive(get)
        #expect(h.transport.takeSent() == ok("a"))
        #expect(h.connection.exchange == nil && h.host.exchanges.spare.count == 1)
    }

    @Test func theExchangeStaysWhileALookupOrPipelinedBytesAreWaiting() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        h.host.deferLookups = true
        h.transport.receive(get + "GET /f.txt HTTP/1.1\r\nHo")
        #expect(h.state == .waitingForFile && h.connection.exchange != nil)
        h.host.completeLookup()
        // The second head is partly parsed: the exchange and the buffers stay.
        #expect(h.state == .readingHead && h.connection.exchange != nil && h.transport.buffersReleased == 0)
        h.transport.receive("st: h\r\n\r\n")
        h.host.completeLookup()
        #expect(h.transport.takeSent() == ok("a") + ok("a"))
        #expect(h.state == .idle && h.connection.exchange == nil)
    }

    @Test func closingGivesTheExchangeBack() throws {
        let h = try Harness()
        h.transport.receive("GET /f.txt HTT")
        h.transport.breaks(ECONNRESET)
        #expect(h.closed && h.connection.exchange == nil && h.host.exchanges.spare.count == 1)
        #expect(h.host.exchanges.spare[0].pointee.parser.isIdle)
    }

    @Test func emptyLinesBeforeACloseDoNotCarryIntoTheNextConnection() throws {
        // A client that sends an empty line and closes: the parser has skipped it (idle, but at offset 1).
        let h = try Harness()
        h.transport.receive("\r\n")
        h.transport.breaks(ECONNRESET)
        #expect(h.closed && h.host.exchanges.spare.count == 1)
        #expect(h.host.exchanges.spare[0].pointee.parser.isPristine)
        // The next connection borrows the same exchange and parses its request from its first byte.
        h.host.files["/f.txt"] = memoryFile("a")
        let transport = MemoryTransport()
        let next = try #require(Connection(id: 8, host: h.host, clock: h.clock, transport: transport, peer: transport.peer))
        h.host.connection = next
        next.start()
        transport.receive(get)
        #expect(transport.takeSent() == ok("a"))
    }

    @Test func thePoolKeepsAtMostItsCapacityAndFollowsTheLimits() {
        let pool = ExchangePool()
        let lent = (0..<(ExchangePool.capacity + 6)).map { _ in pool.take(limits: HeadLimits()) }
        for e in lent { pool.give(e) }
        #expect(pool.spare.count == ExchangePool.capacity)
        let small = HeadLimits(requestLine: 100, fieldLine: 100, fieldCount: 5, headSize: 1000)
        let e = pool.take(limits: small)
        #expect(e.pointee.parser.limits.headSize == 1000 && pool.spare.count == ExchangePool.capacity - 1)
        pool.give(e)
    }

    // MARK: Graceful drain

    @Test func drainingClosesAfterTheResponseInFlight() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        h.host.deferLookups = true
        h.transport.receive(get)
        #expect(h.state == .waitingForFile)
        h.host.draining = true
        h.connection.closeIfIdle()
        #expect(!h.closed)
        h.host.completeLookup()
        #expect(h.transport.takeSent() == ok("a", extra: "Connection: close\r\n"))
        #expect(h.state == .lingering)
    }

    @Test func drainingClosesIdleConnectionsAtOnce() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        h.transport.receive(get)
        #expect(h.state == .idle)
        h.host.draining = true
        h.connection.closeIfIdle()
        #expect(h.closed)
    }

    @Test func drainingLeavesAHalfReceivedHeadToFinish() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        h.transport.receive("GET /f.txt HTTP/1.1\r\n")
        h.host.draining = true
        h.connection.closeIfIdle()
        #expect(!h.closed)
        h.transport.receive("Host: h\r\n\r\n")
        #expect(h.transport.takeSent() == ok("a", extra: "Connection: close\r\n"))
    }

    @Test func readinessAnswers503WhileDraining() throws {
        let h = try Harness()
        h.host.draining = true
        h.transport.receive("GET /readyz HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(
            h.transport.takeSent()
                == "HTTP/1.1 503 Service Unavailable\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: 9\r\n"
                + "Connection: close\r\n\r\ndraining\n")
        #expect(h.host.outcomes.first?.logEntry == nil)
    }

    // MARK: Lookups finishing late

    @Test func lookupFinishingAfterTheClientLeftIsIgnored() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        h.host.deferLookups = true
        h.transport.receive(get)
        #expect(h.state == .waitingForFile && !h.transport.readingEnabled)
        h.connection.close()  // e.g. ShutdownTimeout, or a transport error
        #expect(h.closed)
        h.host.completeLookup()
        #expect(h.transport.sent.isEmpty)
        #expect(h.host.outcomes.isEmpty)
        #expect(h.host.closedIDs == [7])
        // The late answer does not borrow an exchange again.
        #expect(h.connection.exchange == nil)
    }

    @Test func lookupFinishingAfterAHalfCloseIsAnsweredThenCloses() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        h.host.deferLookups = true
        h.transport.receive(get)
        h.transport.clientCloses()
        #expect(!h.closed)
        h.host.completeLookup()
        #expect(h.transport.takeSent() == ok("a"))
        #expect(h.closed)
    }

    @Test func closingMidResponseCountsOnlyWhatWasSent() throws {
        let h = try Harness()
        let body = String(repeating: "z", count: 500)
        h.host.files["/f.txt"] = memoryFile(body)
        h.transport.window = 300
        h.transport.receive(get)
        h.connection.close()
        let outcome = try #require(h.host.outcomes.first)
        #expect(outcome.totalBytes == 300)
        #expect(outcome.logEntry?.bodyBytes == 500 - (ok(body).utf8.count - 300))
    }

    // MARK: File regions through a shared segment

    /// A 70,000-byte file on disk (unlinked at once), served from its descriptor, not from memory.
    private func diskFile(_ content: [UInt8]) throws -> FileEntry {
        let path = "/tmp/httpd-connection-test-\(getpid())-\(content.count)"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        try #require(fd >= 0)
        unlink(path)
        let written = content.withUnsafeBytes { write(fd, $0.baseAddress, content.count) }
        try #require(written == content.count)
        return FileEntry(
            fd: fd,
            info: FileInfo(
                size: content.count, modified: 784_111_777, etag: "\"big\"", contentType: "application/octet-stream",
                encoding: nil),
            content: nil)
    }

    private let bigContent = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }

    private func head206(_ type: String, _ extra: String, length: Int) -> [UInt8] {
        Array(
            ("HTTP/1.1 206 Partial Content\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\n"
                + "Content-Type: \(type)\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nETag: \"big\"\r\n"
                + "Accept-Ranges: bytes\r\n\(extra)Content-Length: \(length)\r\n\r\n").utf8)
    }

    @Test func largeFileRegionsAreSentFromOneSegment() throws {
        let content = bigContent
        let entry = try diskFile(content)
        let h = try Harness()
        h.host.files["/f.txt"] = .file(FileResource(file: entry, variants: [], servedPath: "/f.txt"))
        h.transport.receive("GET /f.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=100-199,-5\r\n\r\n")
        let first = try #require(entry.sendHandle as? FileSegment)
        let firstResponse = h.transport.sent
        h.transport.sent = []
        h.transport.receive("GET /f.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=69990-\r\n\r\n")
        #expect(entry.sendHandle as? FileSegment === first)

        // The multipart response, byte for byte (its boundary is the one it announced).
        let marker = try #require(firstResponse.firstRange(of: Array("boundary=".utf8)))
        let boundary = String(decoding: firstResponse[marker.upperBound...].prefix { $0 != 13 }, as: UTF8.self)
        func part(_ range: String) -> [UInt8] {
            Array(
                "\r\n--\(boundary)\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes \(range)/70000\r\n\r\n".utf8)
        }
        let body =
            part("100-199") + content[100..<200] + part("69995-69999") + content[69995...]
            + Array("\r\n--\(boundary)--\r\n".utf8)
        #expect(firstResponse == head206("multipart/byteranges; boundary=\(boundary)", "", length: body.count) + body)
        // The single range, byte for byte.
        #expect(
            h.transport.sent
                == head206("application/octet-stream", "Content-Range: bytes 69990-69999/70000\r\n", length: 10)
                + content[69990...])
    }

    @Test func aSlowReaderGetsTheWholeFileAfterTheHostLetItGo() throws {
        let content = bigContent
        var entry: FileEntry? = try diskFile(content)
        weak let released = entry
        let h = try Harness()
        h.host.files["/f.txt"] = .file(FileResource(file: entry!, variants: [], servedPath: "/f.txt"))
        entry = nil
        h.transport.window = 1000
        h.transport.receive(get)
        // The cache forgets the file while most of it is still queued: the connection keeps it open.
        h.host.files = [:]
        #expect(released != nil)
        #expect(h.state == .writing)
        for _ in 0..<69 { h.transport.clientReads(1000) }
        h.transport.clientReads(10_000)
        #expect(h.state == .idle)
        let sent = h.transport.sent
        #expect(Array(sent.suffix(content.count)) == content)
        // The response is over: nothing holds the open file any more.
        #expect(released == nil)
    }

    @Test func aResetMidResponseCountsWhatWasSent() throws {
        let entry = try diskFile(bigContent)
        let h = try Harness()
        h.host.files["/f.txt"] = .file(FileResource(file: entry, variants: [], servedPath: "/f.txt"))
        h.transport.window = 5000
        h.transport.receive(get)
        h.transport.breaks(ECONNRESET)
        #expect(h.closed)
        let outcome = try #require(h.host.outcomes.first)
        #expect(h.transport.sent.count == 5000)
        #expect(outcome.totalBytes == 5000)
        let headEnd = try #require(h.transport.sent.firstRange(of: Array("\r\n\r\n".utf8)))
        #expect(outcome.bodyBytes == 5000 - headEnd.upperBound)
        #expect(outcome.logEntry?.bodyBytes == 5000 - headEnd.upperBound)
        #expect(h.host.logs.last?.message == "[client 192.0.2.7] connection error: \(errnoText(ECONNRESET))")
    }

    @Test func aFailedWriteClosesAndCountsNothingSent() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("hello")
        h.transport.writeError = EPIPE
        h.transport.receive(get)
        #expect(h.closed)
        let outcome = try #require(h.host.outcomes.first)
        #expect(outcome.totalBytes == 0 && outcome.bodyBytes == 0 && outcome.code == 200)
    }

    // MARK: More routes

    @Test func continueWhoseFlushIsPendingStillReadsTheBody() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        h.transport.window = 10
        h.transport.receive("GET /f.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        #expect(h.state == .readingBody)
        h.transport.receive("abc")
        h.transport.clientReads(10_000)
        #expect(h.transport.takeSent() == "HTTP/1.1 100 Continue\r\n\r\n" + ok("a"))
        #expect(h.state == .idle)
    }

    @Test func statusIsRefusedToPeersOutsideStatusAllow() throws {
        let h = try Harness()
        h.transport.receive("GET /server-status?auto HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(h.transport.takeSent() == errorPage(.forbidden, close: false))
        #expect(h.host.logs.last?.message.hasSuffix("status not allowed for 192.0.2.7 (StatusAllow)") == true)
    }

    @Test func statusAnswersAllowedPeers() throws {
        let h = try Harness { $0.statusAllow = [CIDR("192.0.2.0/24")!] }
        h.transport.receive("GET /server-status?auto HTTP/1.1\r\nHost: h\r\n\r\n")
        let sent = h.transport.takeSent()
        #expect(sent.hasPrefix("HTTP/1.1 200 OK\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\n"))
        #expect(sent.contains("\r\nCache-Control: no-store\r\n"))
        #expect(sent.contains("\r\n\r\nlocalhost\nServerVersion: httpd/\(httpdVersion)\n"))
        #expect(h.state == .idle)
    }

    @Test func reloadBeforeTheFirstByteApplies() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        try h.host.reload { $0.serverTokensFull = false }
        h.transport.receive(get)
        #expect(h.transport.takeSent().hasPrefix("HTTP/1.1 200 OK\r\nDate: \(FakeHost.date)\r\nServer: httpd\r\n"))
    }

    @Test func errorDocumentFoundByAWorker() throws {
        let h = try Harness { $0.errorDocuments[404] = "/404.html" }
        h.host.files["/404.html"] = memoryFile("gone", type: "text/html; charset=utf-8", servedPath: "/404.html")
        h.host.deferLookups = true
        h.transport.receive("GET /missing HTTP/1.1\r\nHost: h\r\n\r\n")
        h.host.completeLookup()  // /missing: not found
        #expect(h.state == .waitingForFile)
        #expect(h.host.pendingLookups.map(\.path) == ["/404.html"])
        h.host.completeLookup()
        #expect(
            h.transport.takeSent()
                == "HTTP/1.1 404 Not Found\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\n"
                + "Content-Type: text/html; charset=utf-8\r\nContent-Length: 4\r\n\r\ngone")
    }

    @Test func aFullWorkerQueueAnswers503WithRetryAfter() throws {
        let h = try Harness()
        h.host.queueFull = 1024
        h.transport.receive(get)
        let html =
            "<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n"
            + "<body><h1>503 Service Unavailable</h1></body></html>\n"
        #expect(
            h.transport.takeSent()
                == "HTTP/1.1 503 Service Unavailable\r\nDate: \(FakeHost.date)\r\nServer: httpd/\(httpdVersion)\r\n"
                + "Content-Type: text/html; charset=utf-8\r\nRetry-After: 1\r\nContent-Length: \(html.utf8.count)\r\n"
                + "Connection: close\r\n\r\n" + html)
        #expect(h.host.logs.last?.message.hasSuffix("worker queue full (1024 lookups waiting)") == true)
    }

    // MARK: Pressure

    @Test func underPressureANewHeadGetsTwoSecondsAndIsDroppedWithoutAnswer() throws {
        let h = try Harness()
        h.host.files["/f.txt"] = memoryFile("a")
        h.transport.receive(get)  // a first request completes; the next one dribbles
        #expect(h.transport.takeSent() == ok("a"))
        h.host.underPressure = true
        h.transport.receive("GET /f")
        h.clock.advance(by: 1.9)
        #expect(!h.closed)
        h.clock.advance(by: 0.2)
        #expect(h.closed)
        #expect(h.transport.sent.isEmpty && !h.transport.writeShut)
        #expect(h.host.dropped == 1)
        #expect(h.host.logs.last?.message == "[client 192.0.2.7] request head not complete within 2.0 s under pressure: dropped")
    }

    @Test func pressureShortensAHeadAlreadyUnderWay() throws {
        let h = try Harness { $0.requestHeaderTimeout = 20 }
        h.transport.receive("GET /f")
        h.clock.advance(by: 1)
        h.host.underPressure = true
        h.connection.pressureBegan()
        h.clock.advance(by: 0.9)
        #expect(!h.closed)
        h.clock.advance(by: 0.2)
        #expect(h.closed && h.host.dropped == 1)
    }

    @Test func pressureDropsAHeadOlderThanTwoSecondsAtOnce() throws {
        let h = try Harness { $0.requestHeaderTimeout = 20 }
        h.transport.receive("G")
        h.clock.advance(by: 5)
        h.host.underPressure = true
        h.connection.pressureBegan()
        h.clock.advance(by: 0)
        #expect(h.closed && h.host.dropped == 1)
    }

    @Test func pressureLeavesIdleKeepAliveAndBusyConnectionsAlone() throws {
        let h = try Harness { $0.keepAliveTimeout = 5 }
        h.host.files["/f.txt"] = memoryFile("a")
        h.transport.receive(get)
        #expect(h.state == .idle && !h.connection.isReadingHead)
        h.host.underPressure = true
        h.connection.pressureBegan()
        h.clock.advance(by: 4.9)
        #expect(!h.closed)
        h.clock.advance(by: 0.2)
        #expect(h.closed && h.host.dropped == 0)
    }

    @Test func withoutPressureASlowHeadStillGets408() throws {
        let h = try Harness { $0.requestHeaderTimeout = 3 }
        h.transport.receive("GET /f")
        h.clock.advance(by: 3.1)
        #expect(h.transport.takeSent() == errorPage(.requestTimeout, close: true))
        #expect(h.host.dropped == 0)
    }
}
