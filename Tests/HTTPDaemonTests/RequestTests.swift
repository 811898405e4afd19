// Request.interpret: versions, Host, targets, framing and expectations (RFC 9110/9112).

import Testing

@testable import Config
@testable import Files
@testable import HTTPCore
@testable import Server
@testable import Support

private func head(
    _ method: String = "GET", _ target: String = "/", version: (Int, Int) = (1, 1),
    _ fields: [(String, String)] = [("host", "example.com")]
) -> RequestHead {
    RequestHead(method: method, target: target, version: version, fields: fields.map { (name: $0.0, value: $0.1) })
}

private func head(_ fields: [(String, String)]) -> RequestHead {
    head("GET", "/", fields)
}

private func accepted(_ h: RequestHead, sourceLocation: SourceLocation = #_sourceLocation) -> Request? {
    switch Request.interpret(h) {
    case .success(let r): return r
    case .failure(let e):
        Issue.record("unexpected \(e.status.code): \(e.reason)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The error for a refused head, or nil when it was accepted.
private func error(_ h: RequestHead) -> RequestError? {
    if case .failure(let e) = Request.interpret(h) { return e }
    return nil
}

/// The status code of a refused head, or nil when it was accepted.
private func refused(_ h: RequestHead) -> Int? {
    if case .failure(let e) = Request.interpret(h) { return e.status.code }
    return nil
}

@Suite struct RequestTests {
    // MARK: Version

    @Test func http11Request() throws {
        let r = try #require(accepted(head()))
        #expect(r.method == .get)
        #expect(r.path == "/")
        #expect(r.query == nil)
        #expect(r.isAsterisk == false)
        #expect(r.isHTTP11)
        #expect(r.host == "example.com")
        #expect(r.wantsKeepAlive)
        #expect(r.body == .none)
        #expect(r.expectsContinue == false)
    }

    @Test(arguments: [(2, 0), (0, 9), (3, 1), (9, 9)])
    func majorVersionOtherThanOneIs505(major: Int, minor: Int) {
        #expect(refused(head(version: (major, minor))) == 505)
    }

    @Test func versionErrorMessage() {
        #expect(error(head(version: (2, 0))) == RequestError(.httpVersionNotSupported, "HTTP/2.0 is not supported"))
        #expect(error(head(version: (1, 1), [])) == RequestError(.badRequest, "HTTP/1.1 request without Host"))
    }

    @Test func laterMinorVersionsAreHTTP11() throws {
        let r = try #require(accepted(head(version: (1, 2))))
        #expect(r.isHTTP11)
        #expect(refused(head(version: (1, 2), [])) == 400)
    }

    // MARK: Host

    @Test func http11RequiresHost() {
        #expect(refused(head(version: (1, 1), [])) == 400)
        #expect(refused(head(version: (1, 1), [("accept", "*/*")])) == 400)
    }

    @Test func http10MayOmitHost() throws {
        let r = try #require(accepted(head(version: (1, 0), [])))
        #expect(r.host == "")
        #expect(r.isHTTP11 == false)
        let empty = try #require(accepted(head(version: (1, 0), [("host", "")])))
        #expect(empty.host == "")
    }

    @Test func repeatedHostIs400InAnyVersion() {
        #expect(refused(head(version: (1, 1), [("host", "a"), ("host", "a")])) == 400)
        #expect(refused(head(version: (1, 0), [("host", "a"), ("host", "b")])) == 400)
    }

    @Test(arguments: [
        ("example.com", "example.com"),
        ("Example.COM", "example.com"),
        ("example.com:8080", "example.com"),
        ("127.0.0.1:80", "127.0.0.1"),
        ("[::1]", "[::1]"),
        ("[::1]:8080", "[::1]"),
        ("[2001:DB8::1]:443", "[2001:db8::1]"),
        ("example.com:", "example.com"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("a_b-c~d.e", "a_b-c~d.e"),
    ])
    func validHostValues(value: String, host: String) throws {
        let r = try #require(accepted(head([("host", value)])))
        #expect(r.host == host)
    }

    @Test(arguments: [
        "a b", "a/b", "a@b", "a?b", "a#b", "host:abc", "host:123456", "host:-1", "[::1", "[::1]x", "[::1]:abc",
        "[]", "[::g]", "a\"b", "a<b>", "a:b:c",
    ])
    func invalidHostValuesAre400InHTTP11(value: String) {
        #expect(refused(head([("host", value)])) == 400)
    }

    @Test func emptyHostIsValid() throws {
        // RFC 9110 §7.2: a client sends an empty Host when the target URI has no authority.
        let empty = try #require(accepted(head([("host", "")])))
        #expect(empty.host == "")
        let portOnly = try #require(accepted(head([("host", ":80")])))
        #expect(portOnly.host == "")
    }

    @Test func invalidHostSyntaxIs400InHTTP10Too() {
        #expect(refused(head(version: (1, 0), [("host", "a b")])) == 400)
        #expect(refused(head(version: (1, 0), [("host", "a:b")])) == 400)
    }

    // MARK: Target forms

    @Test func absoluteFormOverridesHost() throws {
        let r = try #require(accepted(head("GET", "http://Target.Example:8080/a/b?x=1", [("host", "other.example")])))
        #expect(r.host == "target.example")
        #expect(r.path == "/a/b")
        #expect(r.query == "x=1")
    }

    @Test func absoluteFormVariants() throws {
        let bare = try #require(accepted(head("GET", "http://h.example")))
        #expect(bare.path == "/")
        #expect(bare.query == nil)
        #expect(bare.host == "h.example")

        let queryOnly = try #require(accepted(head("GET", "http://h.example?q")))
        #expect(queryOnly.path == "/")
        #expect(queryOnly.query == "q")

        let https = try #require(accepted(head("GET", "HTTPS://H.example/p")))
        #expect(https.host == "h.example")
        #expect(https.path == "/p")

        let v6 = try #require(accepted(head("GET", "http://[::1]:8080/x")))
        #expect(v6.host == "[::1]")
        #expect(v6.path == "/x")
    }

    @Test func absoluteFormStillNeedsAHostFieldInHTTP11() throws {
        #expect(refused(head("GET", "http://h.example/", [])) == 400)
        // An empty Host is fine when the target names the host (RFC 9112 §3.2).
        let r = try #require(accepted(head("GET", "http://h.example/", [("host", "")])))
        #expect(r.host == "h.example")
        // HTTP/1.0 may omit it.
        let old = try #require(accepted(head("GET", "http://h.example/x", version: (1, 0), [])))
        #expect(old.host == "h.example")
    }

    @Test(arguments: ["ftp://h/p", "http:///p", "http://user@h/p", "http://[::1/p", "http://h b/", "index.html", "h.example:80"])
    func invalidTargetsAre400(target: String) {
        #expect(refused(head("GET", target)) == 400)
    }

    @Test func absoluteFormWithAnInvalidHostFieldIs400() {
        #expect(refused(head("GET", "http://h.example/", [("host", "a b")])) == 400)
    }

    @Test func authorityFormForConnect() throws {
        let r = try #require(accepted(head("CONNECT", "example.com:443")))
        #expect(r.method == .connect)
        #expect(r.path == "*")
        #expect(r.host == "example.com")
        #expect(refused(head("GET", "example.com:443")) == 400)
    }

    @Test func asteriskFormOnlyForOptions() throws {
        let r = try #require(accepted(head("OPTIONS", "*")))
        #expect(r.isAsterisk)
        #expect(r.path == "*")
        #expect(r.method == .options)
        #expect(refused(head("GET", "*")) == 400)
        #expect(refused(head("HEAD", "*")) == 400)
        #expect(refused(head("POST", "*")) == 400)
    }

    @Test(arguments: [
        ("/a?b=c&d", "/a", "b=c&d"),
        ("/a?", "/a", ""),
        ("/a?b?c", "/a", "b?c"),
        ("/?x", "/", "x"),
        ("/%20a?%20", "/%20a", "%20"),
    ])
    func querySplit(target: String, path: String, query: String) throws {
        let r = try #require(accepted(head("GET", target)))
        #expect(r.path == path)
        #expect(r.query == query)
    }

    @Test func noQuery() throws {
        let r = try #require(accepted(head("GET", "/a/b")))
        #expect(r.path == "/a/b")
        #expect(r.query == nil)
    }

    @Test(arguments: ["/a#frag", "/a#", "/#", "/a?q#frag", "/a?q=#", "http://h/a#frag", "http://h#x"])
    func fragmentIs400(target: String) {
        // RFC 9112 §3.2: no form of request-target has a fragment.
        #expect(error(head("GET", target)) == RequestError(.badRequest, "fragment in request target"))
    }

    // MARK: Keep-alive

    @Test(arguments: [
        // (version minor, Connection values, keep-alive wanted)
        (1, [String](), true),
        (1, ["close"], false),
        (1, ["Close"], false),
        (1, ["foo, close"], false),
        (1, ["close,foo"], false),
        (1, ["  keep-alive ,  CLOSE  "], false),
        (1, ["keep-alive"], true),
        (1, ["closed"], true),
        (1, ["upgrade"], true),
        (1, ["keep-alive", "close"], false),
        (0, [], false),
        (0, ["keep-alive"], true),
        (0, ["Keep-Alive"], true),
        (0, ["foo, keep-alive"], true),
        (0, ["keep-alive, close"], false),
        (0, ["keep-alive", "close"], false),
        (0, ["close"], false),
        (0, ["keepalive"], false),
    ])
    func keepAliveRules(minor: Int, connection: [String], keepAlive: Bool) throws {
        let fields = [("host", "h")] + connection.map { ("connection", $0) }
        let r = try #require(accepted(head(version: (1, minor), fields)))
        #expect(r.wantsKeepAlive == keepAlive)
    }

    // MARK: Body framing

    @Test(arguments: [
        ("10", BodyFraming.length(10)), ("0", .none), ("000", .none), ("007", .length(7)),
        ("999999999999999999", .length(999_999_999_999_999_999)),
    ])
    func contentLength(value: String, framing: BodyFraming) throws {
        let r = try #require(accepted(head("POST", "/", [("host", "h"), ("content-length", value)])))
        #expect(r.body == framing)
    }

    @Test(arguments: ["", "abc", "-1", "+5", "1, 1", "1 1", "0x10", "1.0", "1000000000000000000", "99999999999999999999999"])
    func invalidContentLengthIs400(value: String) {
        #expect(refused(head("POST", "/", [("host", "h"), ("content-length", value)])) == 400)
    }

    @Test func duplicateContentLengthIs400() {
        #expect(refused(head("POST", "/", [("host", "h"), ("content-length", "5"), ("content-length", "5")])) == 400)
        #expect(refused(head("POST", "/", [("host", "h"), ("content-length", "5"), ("content-length", "6")])) == 400)
    }

    @Test(arguments: [["chunked"], ["Chunked"], [" chunked "], ["CHUNKED"]])
    func chunked(values: [String]) throws {
        let r = try #require(accepted(head("POST", "/", [("host", "h")] + values.map { ("transfer-encoding", $0) })))
        #expect(r.body == .chunked)
    }

    @Test(arguments: [
        (["gzip, chunked"], 501),
        (["gzip", "chunked"], 501),
        (["chunked, chunked"], 501),
        (["gzip"], 400),
        (["chunked, gzip"], 400),
        (["chunked", "gzip"], 400),
        ([""], 400),
        (["identity"], 400),
    ])
    func unsupportedTransferCodings(values: [String], status: Int) {
        #expect(refused(head("POST", "/", [("host", "h")] + values.map { ("transfer-encoding", $0) })) == status)
    }

    @Test func contentLengthWithTransferEncodingIs400() {
        #expect(refused(head("POST", "/", [("host", "h"), ("content-length", "5"), ("transfer-encoding", "chunked")])) == 400)
        #expect(refused(head("POST", "/", [("host", "h"), ("transfer-encoding", "chunked"), ("content-length", "5")])) == 400)
    }

    @Test func transferEncodingInHTTP10Is400() {
        #expect(refused(head("POST", "/", version: (1, 0), [("transfer-encoding", "chunked")])) == 400)
    }

    @Test func bodyOnAGetIsFramedToo() throws {
        let r = try #require(accepted(head("GET", "/", [("host", "h"), ("content-length", "3")])))
        #expect(r.body == .length(3))
    }

    // MARK: Expect

    @Test func expectContinueWithABody() throws {
        let withLength = try #require(
            accepted(head("POST", "/", [("host", "h"), ("content-length", "5"), ("expect", "100-continue")])))
        #expect(withLength.expectsContinue)
        let chunked = try #require(
            accepted(head("POST", "/", [("host", "h"), ("transfer-encoding", "chunked"), ("expect", "100-Continue")])))
        #expect(chunked.expectsContinue)
    }

    @Test func expectContinueWithoutABodyIsIgnored() throws {
        let none = try #require(accepted(head("GET", "/", [("host", "h"), ("expect", "100-continue")])))
        #expect(none.expectsContinue == false)
        let zero = try #require(
            accepted(head("POST", "/", [("host", "h"), ("content-length", "0"), ("expect", "100-continue")])))
        #expect(zero.expectsContinue == false)
    }

    @Test func expectContinueIsIgnoredInHTTP10() throws {
        let r = try #require(accepted(head("POST", "/", version: (1, 0), [("content-length", "5"), ("expect", "100-continue")])))
        #expect(r.expectsContinue == false)
        #expect(r.body == .length(5))
    }

    @Test(arguments: ["foo", "100-continue, foo", "", "200-ok"])
    func otherExpectationsAre417(value: String) {
        #expect(refused(head("POST", "/", [("host", "h"), ("content-length", "5"), ("expect", value)])) == 417)
        #expect(refused(head("GET", "/", [("host", "h"), ("expect", value)])) == 417)
    }

    @Test func expectFieldsOnSeveralLinesFormOneList() throws {
        let both = [("host", "h"), ("content-length", "5"), ("expect", "foo"), ("expect", "100-continue")]
        #expect(refused(head("POST", "/", both)) == 417)
        let twice = [("host", "h"), ("content-length", "5"), ("expect", "100-continue"), ("expect", "100-Continue")]
        #expect(try #require(accepted(head("POST", "/", twice))).expectsContinue)
    }

    // MARK: Methods

    @Test func methodNames() {
        #expect(HTTPMethod("GET") == .get)
        #expect(HTTPMethod("HEAD") == .head)
        #expect(HTTPMethod("OPTIONS") == .options)
        #expect(HTTPMethod("POST") == .post)
        #expect(HTTPMethod("PUT") == .put)
        #expect(HTTPMethod("DELETE") == .delete)
        #expect(HTTPMethod("PATCH") == .patch)
        #expect(HTTPMethod("CONNECT") == .connect)
        #expect(HTTPMethod("TRACE") == .trace)
        #expect(HTTPMethod("get") == .other("get"))
        #expect(HTTPMethod("BREW") == .other("BREW"))
    }

    @Test func servedMethods() {
        #expect(HTTPMethod.get.isServed)
        #expect(HTTPMethod.head.isServed)
        #expect(HTTPMethod.options.isServed)
        #expect(!HTTPMethod.post.isServed)
        #expect(!HTTPMethod.trace.isServed)
        #expect(!HTTPMethod.other("BREW").isServed)
    }

    @Test func headIsKeptForLaterUse() throws {
        let h = head("GET", "/x", [("host", "h"), ("accept", "*/*")])
        let r = try #require(accepted(h))
        #expect(r.head == h)
    }

    @Test func trimmingWhitespace() {
        #expect(" \t a b \t ".trimmingWhitespace() == "a b")
        #expect("".trimmingWhitespace() == "")
        #expect("   ".trimmingWhitespace() == "")
        #expect("\na\n".trimmingWhitespace() == "\na\n")
    }
}
