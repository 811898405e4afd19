// The start-up error: what failed, printed as `httpd: error: <message>` with a non-zero exit.

#if canImport(Glibc)
    import Glibc
#endif

/// A start-up failure, printed as `httpd: error: <message>` with a non-zero exit.
public struct StartupError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// `what: strerror(errno)`.
    public static func errno(_ what: String, _ code: Int32? = nil) -> StartupError {
        StartupError("\(what): \(errnoText(code ?? Glibc.errno))")
    }
}
