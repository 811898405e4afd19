// Why the configuration reader refuses a value of a site or per-path directive (ServerName, <Location>,
// Header, Redirect, TryFiles): one message, worded to follow the directive's name.

/// A refused value; `message` reads after the directive's name (`Redirect: 'gone' is not a redirect status …`).
public struct ConfigValueError: Error, Sendable, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }
}
