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
}
