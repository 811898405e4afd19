// Whether an authenticated user satisfies `Require`: any valid user, or one of a list of names, compared
// as bytes. Its own small type, so that Auth does not depend on Config (the server maps Config's Requirement).

/// `Require valid-user` or `Require user name…`.
public enum UserRequirement: Sendable, Equatable {
    /// Any user the password file accepts.
    case validUser
    /// Only these user names (each name's UTF-8 bytes, as in the password file).
    case users([[UInt8]])

    /// Whether `user`, who has given the right password, may in: byte equality with a listed name.
    public func isSatisfied(by user: [UInt8]) -> Bool {
        switch self {
        case .validUser: true
        case .users(let names): names.contains(user)
        }
    }
}
