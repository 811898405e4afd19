// Decides what a valid request needs: an immediate answer (OPTIONS, 405, 501, bad path)
// or a file lookup for a normalized path. Pure: no I/O, no state.

/// What the connection should do with a request.
public enum Route: Sendable {
    /// Answer at once with this status (the connection renders it, with an ErrorDocument if any).
    case error(RequestError)
    /// Answer with this response.
    case respond(Response)
    /// Look up this decoded, normalized path and serve what is there.
    case file(String)
}

/// Request routing for the static server.
public enum Router {
    public static let allow = "GET, HEAD, OPTIONS"

    public static func route(_ request: Request, hideDotfiles: Bool) -> Route {
        switch request.method {
        case .get, .head:
            break
        case .options:
            var r = Response(status: .ok, headers: [("Allow", allow)])
            r.contentLength = 0
            return .respond(r)
        case .post, .put, .delete, .patch, .connect, .trace:
            return .error(RequestError(.methodNotAllowed, "method \(request.head.method) not allowed"))
        case .other(let name):
            return .error(RequestError(.notImplemented, "method \(name) not implemented"))
        }
        switch PathNormalizer.normalize(request.path) {
        case .failure(let error):
            return .error(error)
        case .success(let normalized):
            if hideDotfiles && PathNormalizer.isHidden(normalized.path) {
                return .error(RequestError(.notFound, "hidden path \(normalized.path)"))
            }
            return .file(normalized.path)
        }
    }
}
