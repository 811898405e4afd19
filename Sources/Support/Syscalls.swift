// System-call helpers shared by every layer: errno as text and as a value, and the one EINTR retry loop.

#if canImport(Glibc)
    import Glibc
#endif

/// `strerror(code)` as a Swift string.
public func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// The errno of a failed system call, as a value.
public struct Errno: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int32
    public init(_ code: Int32) { self.code = code }
    public var description: String { errnoText(code) }
}

/// Calls `call` again for as long as it fails with EINTR; returns its result when it is not negative,
/// else the errno it failed with (errno itself is left set).
public func retryingEINTR<T: SignedInteger>(_ call: () -> T) -> Result<T, Errno> {
    while true {
        let result = call()
        if result >= 0 { return .success(result) }
        let code = errno
        if code != EINTR { return .failure(Errno(code)) }
    }
}
