// The decisions a connection takes about its responses, as pure functions: whether the connection
// stays open, whether its close may skip lingering, how loudly an error is logged, and which ErrorDocument replaces a built-in error page.

import Config
import HTTPCore

/// Pure per-response policy for connections.
enum ConnectionPolicy {
    /// Whether the connection stays open after this response: keep-alive is on and wanted (RFC 9112 §9.3),
    /// the response does not force a close, no request body was left unread, no graceful stop has begun,
    /// and `MaxKeepAliveRequests` (0 = unlimited) is not reached with this response.
    static func keepAlive(
        enabled: Bool, requestWants: Bool, responseForcesClose: Bool, bodyLeftUnread: Bool, draining: Bool,
        requestsServed: Int, maxRequests: Int
    ) -> Bool {
        if !enabled || !requestWants || responseForcesClose || bodyLeftUnread || draining { return false }
        return maxRequests == 0 || requestsServed < maxRequests
    }

    /// Whether closing after this response may skip the lingering close (as nginx's `lingering_close on`):
    /// only when the client said it sends nothing more (a whole request asking to close: `requestWants`
    /// false; nil when no request was understood), the response is not an error that cut the exchange short,
    /// and no request body was left unread. Unread input still makes the close linger (`Connection.linger`).
    static func mayCloseAtOnce(requestWants keepAlive: Bool?, responseForcesClose: Bool, bodyLeftUnread: Bool) -> Bool {
        keepAlive == false && !responseForcesClose && !bodyLeftUnread
    }

    /// The error-log level for answering with `status`: server faults at error, refused requests at info,
    /// and a plain missing file only at debug (the access log has it).
    static func logLevel(for status: HTTPStatus) -> LogLevel {
        if status.code >= 500 && status != .notImplemented && status != .httpVersionNotSupported { return .error }
        return status == .notFound ? .debug : .info
    }

    /// The normalized path of the ErrorDocument configured for `status`, or nil when there is none (or
    /// it is not a servable path, in which case the built-in page is used).
    static func errorDocument(for status: HTTPStatus, in documents: [Int: String]) -> String? {
        guard let document = documents[status.code], case .success(let normalized) = PathNormalizer.normalize(document)
        else { return nil }
        return normalized.path
    }
}
