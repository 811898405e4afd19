// Which version of a file was read (device, inode, size, modification time to the nanosecond), and the read
// of a file only when that changed.

import Support

#if canImport(Glibc)
    import Glibc
#endif

/// What identifies one version of a file, from stat.
struct FileIdentity: Sendable, Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modifiedSeconds: Int64
    var modifiedNanoseconds: Int64

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        modifiedSeconds = Int64(st.st_mtim.tv_sec)
        modifiedNanoseconds = Int64(st.st_mtim.tv_nsec)
    }

    /// What `readIfChanged` found.
    enum Read: Equatable {
        /// The path still names the version known.
        case unchanged
        /// A new version, read whole.
        case changed(FileIdentity, [UInt8])
        /// The file changed while it was read: look again later.
        case changing
        /// It cannot be read: the reason, as text.
        case unreadable(String)
    }

    /// Reads the file at `path` unless stat shows the version `known`. The file is opened without following a
    /// FIFO's wait (O_NONBLOCK), must be a regular file of at most `limit` bytes, and is read from the descriptor
    /// whose fstat identifies what was read.
    static func readIfChanged(_ path: String, known: FileIdentity?, limit: Int) -> Read {
        var st = stat()
        if stat(path, &st) != 0 { return .unreadable(errnoText(errno)) }
        if let known, FileIdentity(st) == known { return .unchanged }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        if fd < 0 { return .unreadable(errnoText(errno)) }
        defer { close(fd) }
        if fstat(fd, &st) != 0 { return .unreadable(errnoText(errno)) }
        if st.st_mode & S_IFMT != S_IFREG { return .unreadable("not a regular file") }
        if st.st_size > limit { return .unreadable("larger than \(limit >> 20) MiB") }
        let before = FileIdentity(st)
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size) + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBufferPointer { b in
                retryingEINTR { read(fd, b.baseAddress! + count, b.count - count) }
            }
            switch n {
            case .failure(let error): return .unreadable(error.description)
            case .success(0): break
            case .success(let n):
                count += n
                continue
            }
            break
        }
        if fstat(fd, &st) != 0 { return .unreadable(errnoText(errno)) }
        // One byte more than the size was asked for: getting it, or a new size or time, means a writer is at work.
        guard count == Int(before.size), FileIdentity(st) == before else { return .changing }
        bytes.removeLast(bytes.count - count)
        return .changed(before, bytes)
    }
}
