// The connection's pure policies: keep-alive, error-log level, ErrorDocument choice, error rendering.

import Testing

@testable import HTTPCore
@testable import Server

@Suite struct ConnectionPolicyTests {
    private func keep(
        enabled: Bool = true, wants: Bool = true, forces: Bool = false, unread: Bool = false, draining: Bool = false,
        served: Int = 1, max: Int = 100
    ) -> Bool {
        ConnectionPolicy.keepAlive(
            enabled: enabled, requestWants: wants, responseForcesClose: forces, bodyLeftUnread: unread, draining: draining,
            requestsServed: served, maxRequests: max)
    }

    @Test func keepAliveNeedsEveryCondition() {
        #expect(keep())
        #expect(!keep(enabled: false))
        #expect(!keep(wants: false))
        #expect(!keep(forces: true))
        #expect(!keep(unread: true))
        #expect(!keep(draining: true))
    }

    @Test func maxKeepAliveRequestsCountsThisResponse() {
        #expect(keep(served: 99, max: 100))
        #expect(!keep(served: 100, max: 100))
        #expect(keep(served: 1_000_000, max: 0))
    }

    @Test func closingAtOnceNeedsAWholeRequestThatAskedToClose() {
        #expect(ConnectionPolicy.mayCloseAtOnce(requestWants: false, responseForcesClose: false, bodyLeftUnread: false))
        // The client expects to send more (keep-alive refused by the server), or nothing was understood.
        #expect(!ConnectionPolicy.mayCloseAtOnce(requestWants: true, responseForcesClose: false, bodyLeftUnread: false))
        #expect(!ConnectionPolicy.mayCloseAtOnce(requestWants: nil, responseForcesClose: true, bodyLeftUnread: false))
        // An error cut the exchange short, or the body is still on its way.
        #expect(!ConnectionPolicy.mayCloseAtOnce(requestWants: false, responseForcesClose: true, bodyLeftUnread: false))
        #expect(!ConnectionPolicy.mayCloseAtOnce(requestWants: false, responseForcesClose: false, bodyLeftUnread: true))
    }

    @Test func logLevels() {
        #expect(ConnectionPolicy.logLevel(for: .internalServerError) == .error)
        #expect(ConnectionPolicy.logLevel(for: .serviceUnavailable) == .error)
        #expect(ConnectionPolicy.logLevel(for: .notImplemented) == .info)
        #expect(ConnectionPolicy.logLevel(for: .httpVersionNotSupported) == .info)
        #expect(ConnectionPolicy.logLevel(for: .notFound) == .debug)
        #expect(ConnectionPolicy.logLevel(for: .badRequest) == .info)
        #expect(ConnectionPolicy.logLevel(for: .forbidden) == .info)
    }

    @Test func errorDocumentIsNormalized() {
        let documents = [404: "/errors/./404.html", 500: "/../etc/passwd", 403: "/a%2Fb"]
        #expect(ConnectionPolicy.errorDocument(for: .notFound, in: documents) == "/errors/404.html")
        #expect(ConnectionPolicy.errorDocument(for: .internalServerError, in: documents) == nil)
        #expect(ConnectionPolicy.errorDocument(for: .forbidden, in: documents) == nil)
        #expect(ConnectionPolicy.errorDocument(for: .badRequest, in: documents) == nil)
    }

    @Test func renderingKeepsOrClosesByStatus() {
        let notFound = Response.rendering(RequestError(.notFound, "x"), isHead: false)
        #expect(!notFound.forceClose && notFound.sendsBody)
        #expect(Response.rendering(RequestError(.notFound, "x"), isHead: false, forceClose: true).forceClose)
        #expect(Response.rendering(RequestError(.badRequest, "x"), isHead: false).forceClose)
        let head = Response.rendering(
            RequestError(.rangeNotSatisfiable, "x", headers: [("Content-Range", "bytes */10")]), isHead: true)
        #expect(!head.sendsBody)
        #expect(head.headers.map(\.0) == ["Content-Type", "Content-Range"])
    }
}
