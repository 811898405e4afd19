// Descriptors a parent left open (a shell's, a supervisor's, a leaked socket) are closed at start,
// before httpd opens anything, keeping 0-2 and the listening sockets systemd passes (LISTEN_FDS).

#if canImport(Glibc)
    import Glibc
#endif

/// The descriptors httpd inherits beyond the ones it uses.
enum InheritedDescriptors {
    /// Closes every descriptor from 3 up except the `LISTEN_FDS` sockets passed to this process and the
    /// `keeping` descriptors from 3 on that an upgrade hands over.
    static func closeUnused(keeping: Int32 = 0) {
        let first = 3 + max(listenCount(), keeping)
        // What /proc/self/fd lists (the listing's own descriptor excepted, then closed by closedir);
        // close_range(2) is not visible to Swift without _GNU_SOURCE.
        guard let dir = opendir("/proc/self/fd") else {
            // No /proc: every possible descriptor up to the open-file limit (capped).
            let limit = Int32(clamping: min(sysconf(Int32(_SC_OPEN_MAX)), 1 << 16))
            if first < limit { for fd in first..<limit { close(fd) } }
            return
        }
        let own = dirfd(dir)
        var open: [Int32] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if let fd = Int32(name), fd >= first, fd != own { open.append(fd) }
        }
        closedir(dir)
        for fd in open { close(fd) }
    }

    /// How many sockets systemd passed from fd 3 on (`LISTEN_FDS` when `LISTEN_PID` is this process), else 0.
    static func listenCount() -> Int32 {
        guard let pidText = getenv("LISTEN_PID").map({ String(cString: $0) }), Int32(pidText) == getpid(),
            let countText = getenv("LISTEN_FDS").map({ String(cString: $0) }), let count = Int32(countText),
            count > 0, count < 1 << 16
        else { return 0 }
        return count
    }
}
