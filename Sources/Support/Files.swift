// Whole-file reads and stderr writes for start-up code (configuration, types file, messages).

#if canImport(Glibc)
    import Glibc
#endif

/// The whole file at `path` as text, or nil (errno set) when it cannot be read.
public func readTextFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        switch retryingEINTR({ read(fd, &chunk, chunk.count) }) {
        case .failure: return nil
        case .success(0): return String(decoding: bytes, as: UTF8.self)
        case .success(let n): bytes.append(contentsOf: chunk[0..<n])
        }
    }
}

/// Writes `text` and a newline to stderr with one write(2).
public func printToStderr(_ text: String) {
    var bytes = Array((text + "\n").utf8)
    _ = write(2, &bytes, bytes.count)
}
