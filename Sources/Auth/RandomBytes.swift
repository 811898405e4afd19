// Random bytes from the kernel: getrandom(2), found with dlsym (Swift's Glibc module does not declare it),
// else /dev/urandom.

#if canImport(Glibc)
    import Glibc
#endif

/// `count` random bytes, or nil when neither getrandom nor /dev/urandom gives them.
func randomBytes(_ count: Int) -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: count)
    typealias GetRandom = @convention(c) (UnsafeMutableRawPointer?, Int, UInt32) -> Int
    var filled = 0
    if let symbol = dlsym(nil, "getrandom") {
        let getrandom = unsafeBitCast(symbol, to: GetRandom.self)
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { getrandom($0.baseAddress! + filled, count - filled, 0) }
            if n > 0 {
                filled += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        if filled == count { return bytes }
    }
    let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    if fd < 0 { return nil }
    defer { close(fd) }
    filled = 0
    while filled < count {
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
        if n > 0 {
            filled += n
        } else if n < 0 && errno == EINTR {
            continue
        } else {
            return nil
        }
    }
    return bytes
}
