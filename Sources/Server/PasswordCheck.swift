// What a Basic-authentication check decided, as it travels from a worker (or the credential cache) back
// to the connection on the loop thread.

/// The verdict on one request's credentials.
public struct PasswordCheck: Sendable {
    /// The user name as sent (for the log's `%u` and the messages).
    public var user: String
    /// True when the password is right and the requirement admits the user.
    public var passed: Bool
    /// Why not, for the error log (`wrong password`, `unknown user`, `not in Require user …`).
    public var reason: String
    /// Seconds to wait before answering 401 (repeated failures from one address).
    public var delay: Double = 0

    public init(user: String, passed: Bool, reason: String) {
        self.user = user
        self.passed = passed
        self.reason = reason
    }
}
