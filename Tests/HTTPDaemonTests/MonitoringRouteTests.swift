// Routing of the monitoring endpoints, the status query formats and StatusAllow's CIDR matching.

import Testing

@testable import Config
@testable import HTTPCore
@testable import Server
@testable import Support

private let paths = MonitoringPaths(health: "/healthz", ready: "/readyz", status: "/server-status", metrics: "/metrics")

private func route(_ method: String, _ target: String, _ monitoring: MonitoringPaths = paths) throws -> Route {
    let head = RequestHead(method: method, target: target, version: (1, 1), fields: [(name: "host", value: "h")])
    return Router.route(try Request.interpret(head).get(), hideDotfiles: true, monitoring: monitoring)
}

@Suite struct MonitoringRouteTests {
    @Test func endpointsAreRecognizedForGetAndHead() throws {
        for method in ["GET", "HEAD"] {
            guard case .health = try route(method, "/healthz") else {
                Issue.record("health")
                continue
            }
            guard case .ready = try route(method, "/readyz") else {
                Issue.record("ready")
                continue
            }
            guard case .status(.prometheus) = try route(method, "/metrics") else {
                Issue.record("metrics")
                continue
            }
            guard case .status(.html(nil)) = try route(method, "/server-status") else {
                Issue.record("status")
                continue
            }
        }
    }

    @Test func matchingUsesTheDecodedNormalizedPath() throws {
        guard case .health = try route("GET", "/%68ealthz") else {
            Issue.record("encoded")
            return
        }
        guard case .health = try route("GET", "/a/../healthz?x=1") else {
            Issue.record("dot segments")
            return
        }
        guard case .file("/healthz/") = try route("GET", "/healthz/") else {
            Issue.record("trailing slash is another path")
            return
        }
    }

    @Test func matchingComparesBytes() throws {
        let unicode = MonitoringPaths(health: "/caf\u{E9}", ready: "/\u{212A}")
        guard case .health = try route("GET", "/caf%C3%A9", unicode) else {
            Issue.record("same bytes")
            return
        }
        guard case .file(let nfd) = try route("GET", "/cafe%CC%81", unicode), Array(nfd.utf8) == Array("/cafe\u{301}".utf8)
        else {
            Issue.record("NFD is another path")
            return
        }
        guard case .file(let k) = try route("GET", "/K", unicode), k.utf8.elementsEqual("/K".utf8) else {
            Issue.record("K is not KELVIN SIGN")
            return
        }
    }

    @Test func otherMethodsAreNotMonitoring() throws {
        guard case .error(let e) = try route("POST", "/healthz") else {
            Issue.record("POST")
            return
        }
        #expect(e.status == .methodNotAllowed)
    }

    @Test func disabledEndpointIsAStaticPath() throws {
        guard case .file("/healthz") = try route("GET", "/healthz", MonitoringPaths()) else {
            Issue.record("off")
            return
        }
    }

    @Test(arguments: [
        ("auto", StatusFormat.auto), ("format=json", .json), ("refresh=5", .html(refresh: 5)), ("x=1&auto", .auto),
        ("refresh=0", .html(refresh: nil)), ("format=prometheus", .prometheus), ("", .html(refresh: nil)),
    ])
    func statusQueryPicksTheFormat(query: String, format: StatusFormat) {
        #expect(StatusFormat.fromQuery(query) == format)
    }

    @Test func cidrMatching() throws {
        let loopback = try #require(CIDR("127.0.0.0/8"))
        #expect(loopback.contains("127.0.0.1"))
        #expect(loopback.contains("127.255.0.9"))
        #expect(loopback.contains("::ffff:127.0.0.2"))
        #expect(!loopback.contains("128.0.0.1"))
        #expect(!loopback.contains("::1"))
        let one = try #require(CIDR("10.1.2.3"))
        #expect(one.prefix == 32 && one.contains("10.1.2.3") && !one.contains("10.1.2.4"))
        let v6 = try #require(CIDR("2001:db8::/32"))
        #expect(v6.contains("2001:db8:1::5") && !v6.contains("2001:db9::1"))
        let odd = try #require(CIDR("192.168.1.0/23"))
        #expect(odd.contains("192.168.0.7") && odd.contains("192.168.1.200") && !odd.contains("192.168.2.1"))
        #expect(CIDR("300.1.1.1") == nil)
        #expect(CIDR("10.0.0.0/33") == nil)
        #expect(CIDR("::/129") == nil)
        #expect(CIDR("localhost") == nil)
        #expect(CIDR.loopback.contains { $0.contains("::1") })
    }

    @Test func statusAllowedForPeers() throws {
        var c = Configuration()
        #expect(
            c.statusAllowed(PeerAddress(numeric: "127.0.0.1")) && c.statusAllowed(PeerAddress(numeric: "::1"))
                && c.statusAllowed(.local))
        #expect(!c.statusAllowed(PeerAddress(numeric: "10.0.0.1")))
        c.statusAllow = [try #require(CIDR("10.0.0.0/8"))]
        #expect(
            c.statusAllowed(PeerAddress(numeric: "10.9.9.9")) && !c.statusAllowed(PeerAddress(numeric: "127.0.0.1"))
                && !c.statusAllowed(.local))
        c.statusAllow = [try #require(CIDR("0.0.0.0/0")), try #require(CIDR("::/0"))]
        #expect(
            c.statusAllowed(PeerAddress(numeric: "192.0.2.1")) && c.statusAllowed(PeerAddress(numeric: "2001:db8::1"))
                && c.statusAllowed(.local))
        // A peer the kernel could not name is never allowed, even with every address allowed.
        #expect(!c.statusAllowed(.unknown))
        // IPv4-mapped IPv6 peers are matched as IPv4.
        c.statusAllow = CIDR.loopback
        #expect(c.statusAllowed(PeerAddress(numeric: "::ffff:127.0.0.1")))
    }
}
