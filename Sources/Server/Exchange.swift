// What a connection holds only while a request is in progress, and the pool that lends it out, so that an idle keep-alive connection holds none of it.

import Files
import HTTPCore

/// One request's state on a connection: the head parser (with its field storage), the request, its
/// route while a body is discarded, the lookup's purpose and the response in flight. A connection borrows
/// one when a request begins and gives it back when it goes idle with nothing buffered, or closes.
struct Exchange {
    var parser: RequestParser
    var request: Request?
    var pendingRoute: Route?
    var discarder: BodyDiscarder?
    var purpose: Connection.Purpose?
    var inFlight: Connection.InFlight?
    /// The head of a request refused by `Request.interpret`, for the logs.
    var failedHead: RequestHead?
    /// The site the request is for, once chosen by its Host (nil before, and for the monitoring endpoints).
    var site: SiteSettings?
    /// The `<Location>` scope (or the site's) of a request for a path: headers, error pages, authentication.
    var scope: ScopeSettings?
    /// The user Basic authentication let through.
    var user: String?
    /// `TryFiles` paths still to try, in order (the final `=CODE` is read from the site when none is left).
    var tries: ArraySlice<String> = []

    init(limits: HeadLimits) {
        parser = RequestParser(limits: limits)
    }

    /// Forgets the request, keeping the parser's storage for the next head. A connection that goes idle
    /// has cleared most of it already: only what is left is touched.
    mutating func clear() {
        // Idle is not enough: leading empty lines leave the parser past offset 0, which the next
        // connection's buffer must not inherit (it would skip that many bytes of its first request).
        if !parser.isPristine { parser.reset() }
        if request != nil { request = nil }
        if pendingRoute != nil { pendingRoute = nil }
        if discarder != nil { discarder = nil }
        if purpose != nil { purpose = nil }
        if inFlight != nil { inFlight = nil }
        if failedHead != nil { failedHead = nil }
        if site != nil { site = nil }
        if scope != nil { scope = nil }
        if user != nil { user = nil }
        if !tries.isEmpty { tries = [] }
    }
}

/// Exchanges given back by connections, lent to the next requests: a keep-alive request costs no
/// allocation, and at most `capacity` wait here (the rest are freed). An exchange is lent as a pointer
/// to its own allocation, which the borrowing connection alone uses until it gives it back: its fields are
/// reached in place, without the copies or the dynamic exclusivity checks a class's stored properties
/// behind accessors would cost on every use in the request path.
final class ExchangePool {
    static let capacity = 64
    /// Loop thread only, never across a call: no dynamic exclusivity check.
    @exclusivity(unchecked) private(set) var spare: [UnsafeMutablePointer<Exchange>] = []

    deinit {
        for e in spare { free(e) }
    }

    /// An exchange whose parser has `limits` (a spare one when there is one).
    func take(limits: HeadLimits) -> UnsafeMutablePointer<Exchange> {
        guard let e = spare.popLast() else {
            let made = UnsafeMutablePointer<Exchange>.allocate(capacity: 1)
            made.initialize(to: Exchange(limits: limits))
            return made
        }
        if !Self.same(e.pointee.parser.limits, limits) { e.pointee.parser = RequestParser(limits: limits) }
        return e
    }

    /// Takes back an exchange its connection no longer uses (freed when enough are spare).
    func give(_ e: UnsafeMutablePointer<Exchange>) {
        guard spare.count < Self.capacity else {
            free(e)
            return
        }
        e.pointee.clear()
        spare.append(e)
    }

    func free(_ e: UnsafeMutablePointer<Exchange>) {
        e.deinitialize(count: 1)
        e.deallocate()
    }

    static func same(_ a: HeadLimits, _ b: HeadLimits) -> Bool {
        a.requestLine == b.requestLine && a.fieldLine == b.fieldLine && a.fieldCount == b.fieldCount
            && a.headSize == b.headSize
    }
}
