// Router: methods, paths and monitoring endpoints to routes.

import Testing

@testable import HTTPCore
@testable import Server

private func route(_ method: String, _ target: String, hideDotfiles: Bool = true) throws -> Route {
    let head = RequestHead(method: method, target: target, version: (1, 1), fields: [(name: "host", value: "h")])
    return Router.route(try Request.interpret(head).get(), hideDotfiles: hideDotfiles)
}

private func filePath(_ r: Route) -> String? {
    if case .file(let path) = r { return path }
    return nil
}

private func errorStatus(_ r: Route) -> Int? {
    if case .error(let e) = r { return e.status.code }
    return nil
}

private func errorOf(_ r: Route) -> RequestError? {
    if case .error(let e) = r { return e }
    return nil
}

@Suite struct RouterTests {
    @Test func getAndHeadLookUpTheNormalizedPath() throws {
        #expect(filePath(try route("GET", "/index.html")) == "/index.html")
        #expect(filePath(try route("HEAD", "/a/./b/../c%20d")) == "/a/c d")
        #expect(filePath(try route("GET", "/dir/?q=1")) == "/dir/")
        #expect(filePath(try route("GET", "http://h/x/y")) == "/x/y")
    }

    @Test func optionsAnswersWithAllow() throws {
        for target in ["*", "/", "/anything"] {
            guard case .respond(let r) = try route("OPTIONS", target) else {
                Issue.record("OPTIONS \(target) should be answered at once")
                continue
            }
            #expect(r.status == .ok)
            #expect(r.headers.count == 1)
            #expect(r.headers.first?.0 == "Allow")
            #expect(r.headers.first?.1 == "GET, HEAD, OPTIONS")
            #expect(r.contentLength == 0)
            #expect(r.body.isEmpty)
        }
        #expect(Router.allow == "GET, HEAD, OPTIONS")
    }

    @Test(arguments: ["POST", "PUT", "DELETE", "PATCH", "TRACE"])
    func knownMethodsAre405(method: String) throws {
        #expect(
            errorOf(try route(method, "/index.html"))
                == RequestError(.methodNotAllowed, "method \(method) not allowed", headers: [("Allow", "GET, HEAD, OPTIONS")]))
    }

    @Test func connectIs405() throws {
        #expect(errorStatus(try route("CONNECT", "example.com:443")) == 405)
        #expect(errorStatus(try route("CONNECT", "/")) == 405)
    }

    @Test(arguments: ["BREW", "PROPFIND", "get", "Get", "MKCOL"])
    func unknownMethodsAre501(method: String) throws {
        #expect(errorOf(try route(method, "/")) == RequestError(.notImplemented, "method \(method) not implemented"))
    }

    @Test func methodIsCheckedBeforeThePath() throws {
        #expect(errorStatus(try route("POST", "/../etc/passwd")) == 405)
        #expect(errorStatus(try route("BREW", "/%2f")) == 501)
    }

    @Test(arguments: ["/..", "/../etc/passwd", "/%2e%2e/x", "/a%2fb", "/a%5cb", "/a\\b", "/%00", "/%zz", "/%ff"])
    func badPathsAre400(target: String) throws {
        #expect(errorStatus(try route("GET", target)) == 400)
        #expect(errorStatus(try route("HEAD", target)) == 400)
    }

    @Test(arguments: ["/.git/config", "/.env", "/a/.htpasswd", "/a/%2ehidden", "/.well-known/.x"])
    func hiddenPathsAre404(target: String) throws {
        let r = try route("GET", target)
        #expect(errorStatus(r) == 404)
        #expect(filePath(try route("GET", target, hideDotfiles: false)) != nil)
    }

    @Test func hiddenPathReason() throws {
        #expect(errorOf(try route("GET", "/a/../.git/")) == RequestError(.notFound, "hidden path /.git/"))
    }

    @Test func wellKnownStaysReachable() throws {
        #expect(filePath(try route("GET", "/.well-known/acme-challenge/abc")) == "/.well-known/acme-challenge/abc")
        #expect(filePath(try route("GET", "/.well-known/")) == "/.well-known/")
    }

    @Test func dotSegmentsAreNotHidden() throws {
        #expect(filePath(try route("GET", "/a/./b")) == "/a/b")
        #expect(filePath(try route("GET", "/a/b/..")) == "/a/")
    }
}
