// Decides what a valid request needs: an immediate answer (OPTIONS, 405, 501, bad path)
// or a file lookup for a normalized path. Pure: no I/O, no state.

public import HTTPCore
import Support

/// What the connection should do with a request.
public enum Route: Sendable {
    /// Answer at once with this status (the connection renders it, with an ErrorDocument if any).
    case error(RequestError)
    /// Answer with this response.
    case respond(Response)
    /// Look up this decoded, normalized path and serve what is there.
    case file(String)
    /// The health endpoint (liveness).
    case health
    /// The readiness endpoint (503 while draining).
    case ready
    /// The status page (HTML, `?auto`, JSON) or the Prometheus metrics.
    case status(StatusFormat)
}

/// The monitoring endpoints' paths (nil: disabled). Immutable, and a class: every request's route
/// reads it, and a shared reference costs one retain where a struct costs one per path.
public final class MonitoringPaths: Sendable {
    public let health: String?
    public let ready: String?
    public let status: String?
    public let metrics: String?

    public init(health: String? = nil, ready: String? = nil, status: String? = nil, metrics: String? = nil) {
        self.health = health
        self.ready = ready
        self.status = status
        self.metrics = metrics
    }

    public static let none = MonitoringPaths()
}

/// Request routing for the static server.
public enum Router {
    /// The methods a static resource allows (the `Allow` field of 405 and OPTIONS).
    public static let allow = "GET, HEAD, OPTIONS"

    /// What to do with an interpreted request: OPTIONS, 405 and 501 by method, 400 for a bad path,
    /// then the monitoring endpoints, 404 for a hidden path, else a file lookup.
    public static func route(_ request: Request, hideDotfiles: Bool, monitoring: MonitoringPaths = .none) -> Route {
        switch request.method {
        case .get, .head:
            break
        case .options:
            var r = Response(status: .ok, headers: [("Allow", allow)])
            r.contentLength = 0
            return .respond(r)
        case .post, .put, .delete, .patch, .connect, .trace:
            return .error(
                RequestError(.methodNotAllowed, "method \(request.head.method) not allowed", headers: [("Allow", allow)]))
        case .other(let name):
            return .error(RequestError(.notImplemented, "method \(name) not implemented"))
        }
        switch PathNormalizer.normalize(target: request.path) {
        case .failure(let error):
            return .error(error)
        case .success(let normalized):
            // Monitoring endpoints match the decoded path (as Apache's <Location>) and answer from
            // memory, before any file-system work.
            // Compared as bytes, like every path decision (a canonically equivalent path is another path).
            let length = normalized.path.utf8.count
            func matches(_ endpoint: String?) -> Bool {
                guard let endpoint, endpoint.utf8.count == length else { return false }
                return sameBytes(normalized.path, endpoint)
            }
            if matches(monitoring.health) { return .health }
            if matches(monitoring.ready) { return .ready }
            if matches(monitoring.status) { return .status(StatusFormat.fromQuery(request.query)) }
            if matches(monitoring.metrics) { return .status(.prometheus) }
            if hideDotfiles && PathNormalizer.isHidden(normalized.path) {
                return .error(RequestError(.notFound, "hidden path \(normalized.path)"))
            }
            return .file(normalized.path)
        }
    }

    /// `RedirectToHTTPS`: on a plain listener, every request but health and readiness gets 308 to the same
    /// host and target over https (`httpsPort` written unless it is 443). Nil when the request keeps its
    /// route; a request without a host (HTTP/1.0) cannot be redirected and gets 400.
    public static func httpsRedirect(_ request: Request, route: Route, httpsPort: Int) -> Route? {
        switch route {
        case .health, .ready: return nil
        default: break
        }
        guard !request.host.isEmpty else {
            return .error(RequestError(.badRequest, "RedirectToHTTPS: no Host to redirect to"))
        }
        // Request.host keeps an IPv6 literal's brackets; a bare one (never produced today) gets them.
        let host = request.host.contains(":") && !request.host.hasPrefix("[") ? "[\(request.host)]" : request.host
        let port = httpsPort == 443 ? "" : ":\(httpsPort)"
        let target = request.isAsterisk ? "/" : request.path + (request.query.map { "?" + $0 } ?? "")
        let location = "https://\(host)\(port)\(target)"
        let html =
            "<!DOCTYPE html>\n<html><head><title>308 Permanent Redirect</title></head>\n"
            + "<body><h1>Permanent Redirect</h1><p><a href=\"\(HTMLEscape.escape(location))\">\(HTMLEscape.escape(location))</a></p></body></html>\n"
        return .respond(
            Response(
                status: .permanentRedirect, headers: [("Location", location), ("Content-Type", "text/html; charset=utf-8")],
                body: [.bytes(Array(html.utf8))], sendsBody: request.method != .head))
    }

    /// A byte of a plain `host[:port]` (letters, digits, `.-:[]`).
    static func isHostByte(_ c: UInt8) -> Bool {
        isASCIIDigit(c) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || c == 0x2E || c == 0x2D || c == 0x3A || c == 0x5B || c == 0x5D
    }

    /// The answer to a plain HTTP request sent to a TLS port (as nginx's "The plain HTTP request was sent to
    /// HTTPS port"): 400, saying where to go, and the connection closes.
    public static func plainHTTPOnTLSPort(_ request: Request?, isHead: Bool) -> Response {
        // The Host field as sent (with its port, which is this TLS port), when it is a plain host[:port].
        var address = ""
        if let host = request?.head.field("host"), !host.isEmpty,
            host.utf8.allSatisfy(isHostByte)
        {
            address = host
        }
        let use = address.isEmpty ? "https:// on this port" : "https://\(address)/"
        let text = "400 Bad Request: this port speaks HTTPS (TLS), not plain HTTP. Use \(use)\n"
        var r = Response(
            status: .badRequest, headers: [("Content-Type", "text/plain; charset=utf-8")], body: [.bytes(Array(text.utf8))],
            sendsBody: !isHead)
        r.forceClose = true
        return r
    }
}
