// Whole-file reads and stderr writes for start-up code (configuration, types file, messages).

#if canImport(Glibc)
    import Glibc
#endif

/// The whole file at `path` as text, or nil (errno set) when it cannot be read.
public func readTextFile(_ path: String) -> String? {
    readFile(path).map { String(decoding: $0, as: UTF8.self) }
}

/// The whole file at `path`, or nil (errno set) when it cannot be read. Reads into the array's own storage,
/// sized by fstat, so a file that does not grow meanwhile is read without a copy.
public func readFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return nil }
    defer { close(fd) }
    var st = stat()
    let expected = fstat(fd, &st) == 0 && st.st_size > 0 ? Int(st.st_size) : 0
    var bytes = [UInt8](repeating: 0, count: expected + 1)
    var count = 0
    while true {
        if count == bytes.count { bytes += [UInt8](repeating: 0, count: max(4096, count)) }
        let n = bytes.withUnsafeMutableBufferPointer { b in
            retryingEINTR { read(fd, b.baseAddress! + count, b.count - count) }
        }
        switch n {
        case .failure: return nil
        case .success(0):
            bytes.removeLast(bytes.count - count)
            return bytes
        case .success(let n): count += n
        }
    }
}

/// Writes `text` and a newline to stderr with one write(2).
public func printToStderr(_ text: String) {
    var bytes = Array((text + "\n").utf8)
    _ = write(2, &bytes, bytes.count)
}
