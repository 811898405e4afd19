// Small errno helpers shared by the code that makes system calls.
#if canImport(Glibc)
    import Glibc
#endif

/// `strerror(code)` as a Swift string.
public func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
