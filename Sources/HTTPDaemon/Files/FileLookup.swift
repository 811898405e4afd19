// The blocking part of serving a file: open, fstat, symlink policy, directory index, autoindex,
// precompressed variants. Runs on a worker thread; returns a Sendable LookupResult.
#if canImport(Glibc)
    import Glibc
#endif

/// Everything a lookup needs from the configuration, as a Sendable value.
public struct LookupSettings: Sendable {
    /// Document root as configured (absolute, no trailing slash).
    public var root: String
    /// The root with every symlink resolved, for containment checks.
    public var realRoot: String
    public var directoryIndex: [String]
    public var autoindex: Bool
    public var hideDotfiles: Bool
    public var symlinks: SymlinkPolicy
    public var precompressed: Bool
    public var mimeTypes: MIMETypes
    /// Files up to this size are read into memory and sent with the head.
    public var smallFileLimit: Int = 32 * 1024

    public init(
        root: String, realRoot: String, directoryIndex: [String], autoindex: Bool, hideDotfiles: Bool,
        symlinks: SymlinkPolicy, precompressed: Bool, mimeTypes: MIMETypes
    ) {
        self.root = root
        self.realRoot = realRoot
        self.directoryIndex = directoryIndex
        self.autoindex = autoindex
        self.hideDotfiles = hideDotfiles
        self.symlinks = symlinks
        self.precompressed = precompressed
        self.mimeTypes = mimeTypes
    }
}

/// The one place that maps errno from open/stat to an HTTP status (nginx's table).
public func statusForErrno(_ e: Int32) -> HTTPStatus {
    switch e {
    // A name too long to exist is simply not there (414 is for a request line over LimitRequestLine).
    case ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG: .notFound
    case EACCES, EPERM: .forbidden
    case EMFILE, ENFILE: .serviceUnavailable
    default: .internalServerError
    }
}

/// Blocking file-system resolution of normalized request paths.
public enum FileLookup {
    /// Resolves `path` (normalized, decoded) under the document root.
    public static func lookup(_ path: String, _ s: LookupSettings) -> LookupResult {
        let full = s.root + path
        let fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 { return failure(errno, full) }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let e = errno
            close(fd)
            return failure(e, full)
        }
        if let refusal = symlinkRefusal(fd: fd, logicalPath: path, s) {
            close(fd)
            return refusal
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            guard path.hasSuffix("/") else { return .directoryRedirect }
            for name in s.directoryIndex {
                let indexPath = path + name
                if case .file(let resource) = lookupFile(indexPath, s) { return .file(resource) }
            }
            guard s.autoindex else { return .failure(.notFound, "directory without index: \(full)") }
            return listing(path, s)
        }
        return makeResource(fd: fd, st: st, path: path, s)
    }

    /// Looks up a regular file only (used for index files and error documents).
    static func lookupFile(_ path: String, _ s: LookupSettings) -> LookupResult {
        let full = s.root + path
        let fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 { return failure(errno, full) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return .failure(.notFound, "not a regular file: \(full)")
        }
        if let refusal = symlinkRefusal(fd: fd, logicalPath: path, s) {
            close(fd)
            return refusal
        }
        return makeResource(fd: fd, st: st, path: path, s)
    }

    static func makeResource(fd: Int32, st: stat, path: String, _ s: LookupSettings) -> LookupResult {
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return .failure(.forbidden, "not a regular file: \(s.root + path)")
        }
        let name = path[(path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex)...]
        let type = s.mimeTypes.contentType(forFile: name)
        guard let file = entry(fd: fd, st: st, contentType: type, encoding: nil, s) else {
            return .failure(.internalServerError, "read failed: \(s.root + path): \(String(cString: strerror(errno)))")
        }
        var variants: [FileEntry] = []
        if s.precompressed {
            for (suffix, encoding) in [(".br", "br"), (".gz", "gzip")] {
                let vfd = open(s.root + path + suffix, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
                if vfd < 0 { continue }
                var vst = stat()
                if fstat(vfd, &vst) == 0, (vst.st_mode & S_IFMT) == S_IFREG, modifiedSeconds(vst) >= file.modified,
                    symlinkRefusal(fd: vfd, logicalPath: path + suffix, s) == nil,
                    let v = entry(fd: vfd, st: vst, contentType: type, encoding: encoding, s)
                {
                    variants.append(v)
                } else {
                    close(vfd)
                }
            }
        }
        return .file(FileResource(file: file, variants: variants, servedPath: path))
    }

    static func modifiedSeconds(_ st: stat) -> Int { Int(st.st_mtim.tv_sec) }

    /// Builds an entry (reading small files whole); closes `fd` and returns nil on a read error.
    static func entry(fd: Int32, st: stat, contentType: String, encoding: String?, _ s: LookupSettings) -> FileEntry? {
        let size = Int(st.st_size)
        var content: [UInt8]?
        if size <= s.smallFileLimit {
            var buffer = [UInt8](repeating: 0, count: size)
            var done = 0
            while done < size {
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                done += n
            }
            if done != size {
                close(fd)
                return nil
            }
            content = buffer
        }
        // Strong ETag from mtime (with nanoseconds), size and inode, like nginx's "mtime-size".
        let mtimeNs = UInt64(st.st_mtim.tv_sec) &* 1_000_000_000 &+ UInt64(st.st_mtim.tv_nsec)
        var tag = "\"" + String(mtimeNs, radix: 16) + "-" + String(size, radix: 16) + "-" + String(UInt64(st.st_ino), radix: 16)
        if let encoding { tag += "-" + (encoding == "gzip" ? "gz" : encoding) }
        tag += "\""
        return FileEntry(
            fd: fd, size: size, modified: modifiedSeconds(st), etag: tag, contentType: contentType,
            content: content, encoding: encoding)
    }

    /// nil when the open file may be served under the symlink policy, else the failure to answer.
    /// The kernel's view of the open descriptor (/proc/self/fd) is checked, so no race with renames.
    static func symlinkRefusal(fd: Int32, logicalPath: String, _ s: LookupSettings) -> LookupResult? {
        if s.symlinks == .on { return nil }
        guard let real = realPath(ofDescriptor: fd) else {
            return .failure(.internalServerError, "cannot read /proc/self/fd/\(fd)")
        }
        switch s.symlinks {
        case .on:
            return nil
        case .inside:
            if real == s.realRoot || real.hasPrefix(s.realRoot == "/" ? "/" : s.realRoot + "/") { return nil }
        case .off:
            var expected = s.realRoot + logicalPath
            while expected.count > 1 && expected.hasSuffix("/") { expected.removeLast() }
            if real == expected { return nil }
        }
        return .failure(.notFound, "symlink leaves the document root or is not allowed: \(s.root + logicalPath) -> \(real)")
    }

    /// The absolute path the kernel has for an open descriptor.
    static func realPath(ofDescriptor fd: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/fd/\(fd)", &buffer, Int(PATH_MAX))
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The absolute, symlink-free form of a path (for the document root at start-up).
    public static func realPath(_ path: String) -> String? {
        guard let p = Glibc.realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func failure(_ e: Int32, _ full: String) -> LookupResult {
        .failure(statusForErrno(e), "\(full): \(String(cString: strerror(e)))")
    }

    /// An HTML listing of the directory at `path` (names escaped, links percent-encoded).
    static func listing(_ path: String, _ s: LookupSettings) -> LookupResult {
        let full = s.root + path
        guard let dir = opendir(full) else { return failure(errno, full) }
        defer { closedir(dir) }
        var rows: [(name: String, isDir: Bool, size: Int, modified: Int)] = []
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." || (s.hideDotfiles && name.hasPrefix(".")) { continue }
            var st = stat()
            guard fstatat(dirfd(dir), name, &st, 0) == 0 else { continue }
            rows.append((name, (st.st_mode & S_IFMT) == S_IFDIR, Int(st.st_size), Int(st.st_mtim.tv_sec)))
        }
        rows.sort { ($0.isDir ? 0 : 1, $0.name) < ($1.isDir ? 0 : 1, $1.name) }
        let title = "Index of " + HTMLEscape.escape(path)
        var html =
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>\(title)</title></head>\n<body>\n<h1>\(title)</h1>\n<table>\n"
        html += "<tr><th>Name</th><th>Last modified</th><th>Size</th></tr>\n"
        if path != "/" { html += "<tr><td><a href=\"../\">../</a></td><td></td><td>-</td></tr>\n" }
        for row in rows {
            let display = row.name + (row.isDir ? "/" : "")
            let href = "./" + PathNormalizer.encode(row.name) + (row.isDir ? "/" : "")
            html += "<tr><td><a href=\"\(HTMLEscape.escape(href))\">\(HTMLEscape.escape(display))</a></td>"
            html += "<td>\(HTTPDate.format(row.modified))</td><td>\(row.isDir ? "-" : String(row.size))</td></tr>\n"
        }
        html += "</table>\n</body></html>\n"
        return .listing(Array(html.utf8))
    }
}

/// HTML text escaping for names and paths put into generated pages.
public enum HTMLEscape {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
