// The blocking part of serving a file: open, fstat, symlink policy, directory index, autoindex,
// precompressed variants. Runs on a worker thread (on the loop thread in inetd "nowait" mode);
// returns a Sendable LookupResult.

public import Config
public import HTTPCore
import Support

#if canImport(Glibc)
    import Glibc
#endif

/// Everything a lookup needs from the configuration, as a Sendable value.
public struct LookupSettings: Sendable {
    /// Document root as configured (absolute, no trailing slash).
    public var root: String
    /// The root with every symlink resolved, for containment checks.
    public var realRoot: String {
        didSet { realRootBytes = Array(realRoot.utf8) }
    }
    /// `realRoot` as the bytes compared with the kernel's paths (never compared as a String).
    public private(set) var realRootBytes: [UInt8]
    public var directoryIndex: [String]
    public var autoindex: Bool
    public var hideDotfiles: Bool
    public var symlinks: SymlinkPolicy
    public var precompressed: Bool
    public var mimeTypes: MIMETypes
    /// Files up to this size are read into memory and sent with the head.
    public var smallFileLimit: Int = 32 * 1024
    /// Name an open file again by its path (checked to lead to the same inode) instead of through /proc/self/fd,
    /// which is absent inside a `Chroot`. Default false.
    public var namesByPath = false

    public init(
        root: String, realRoot: String, directoryIndex: [String], autoindex: Bool, hideDotfiles: Bool,
        symlinks: SymlinkPolicy, precompressed: Bool, mimeTypes: MIMETypes
    ) {
        self.root = root
        self.realRoot = realRoot
        self.realRootBytes = Array(realRoot.utf8)
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

/// Linux's O_PATH (010000000 on x86-64 and arm64): Glibc exports it only under _GNU_SOURCE.
let pathOnly: Int32 = 0o10000000

/// A LookupResult carried as an Error, so that `resolve` can return a Result.
public struct LookupResultError: Error, Sendable {
    public var result: LookupResult
    init(_ result: LookupResult) { self.result = result }
}

/// Blocking file-system resolution of normalized request paths.
///
/// Every path is first opened with O_PATH, which resolves it without opening the file itself (no
/// side effects from a device or FIFO a symlink may point at); the symlink policy is checked on that
/// descriptor (the kernel's /proc/self/fd view, so no race), and only then is the same inode opened
/// for reading through /proc/self/fd.
///
/// Inside a `Chroot` there is no /proc (`namesByPath`): the real path is realpath(3) of the path, and the file is
/// opened again by its path, each checked to lead to the inode the O_PATH descriptor holds (device and inode
/// number), so that a rename in between is refused (404) rather than followed.
public enum FileLookup {
    /// Resolves `path` (normalized, decoded) under the document root.
    public static func lookup(_ path: String, _ s: LookupSettings) -> LookupResult {
        let full = s.root + path
        let (pathFD, st): (Int32, stat)
        switch resolve(path, s) {
        case .failure(let error): return error.result
        case .success(let resolved): (pathFD, st) = resolved
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            defer { close(pathFD) }
            guard path.utf8.last == 0x2F else { return .directoryRedirect }
            for name in s.directoryIndex {
                let indexPath = path + name
                if case .file(let resource) = lookupFile(indexPath, s) { return .file(resource) }
            }
            guard s.autoindex else { return .failure(.notFound, "directory without index: \(full)") }
            return listing(path, directory: pathFD, s)
        }
        return makeResource(pathFD: pathFD, st: st, path: path, s)
    }

    /// Looks up a regular file only (used for index files and error documents).
    static func lookupFile(_ path: String, _ s: LookupSettings) -> LookupResult {
        switch resolve(path, s) {
        case .failure(let error):
            return error.result
        case .success(let (pathFD, st)):
            guard (st.st_mode & S_IFMT) == S_IFREG else {
                close(pathFD)
                return .failure(.notFound, "not a regular file: \(s.root + path)")
            }
            return makeResource(pathFD: pathFD, st: st, path: path, s)
        }
    }

    /// Opens `path` with O_PATH and applies the symlink policy; the caller owns the returned descriptor.
    static func resolve(_ path: String, _ s: LookupSettings) -> Result<(Int32, stat), LookupResultError> {
        let full = s.root + path
        let fd = open(full, pathOnly | O_CLOEXEC)
        if fd < 0 { return .failure(LookupResultError(failure(errno, full))) }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let e = errno
            close(fd)
            return .failure(LookupResultError(failure(e, full)))
        }
        if let refusal = symlinkRefusal(fd: fd, logicalPath: path, s) {
            close(fd)
            return .failure(LookupResultError(refusal))
        }
        return .success((fd, st))
    }

    /// Opens for reading the inode that the O_PATH descriptor `pathFD` names (closing `pathFD`); `full` is the path
    /// it was opened by.
    static func reopen(_ pathFD: Int32, _ full: String, _ s: LookupSettings, flags: Int32 = O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        -> Int32
    {
        let fd = openAgain(pathFD, full, s, flags: flags)
        let e = errno
        close(pathFD)
        errno = e
        return fd
    }

    /// Opens the inode that the O_PATH descriptor `pathFD` names with `flags` (keeping `pathFD`): through
    /// /proc/self/fd, or by `full` (the path it was opened by) checked to lead to the same inode (ENOENT if not).
    static func openAgain(_ pathFD: Int32, _ full: String, _ s: LookupSettings, flags: Int32) -> Int32 {
        guard s.namesByPath else { return open("/proc/self/fd/\(pathFD)", flags) }
        let fd = open(full, flags | O_NOCTTY)
        if fd < 0 { return fd }
        guard sameInode(fd, pathFD) else {
            close(fd)
            errno = ENOENT
            return -1
        }
        return fd
    }

    /// Whether two descriptors name the same inode (device and inode number).
    static func sameInode(_ a: Int32, _ b: Int32) -> Bool {
        var x = stat()
        var y = stat()
        return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino
    }

    static func makeResource(pathFD: Int32, st: stat, path: String, _ s: LookupSettings) -> LookupResult {
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(pathFD)
            return .failure(.forbidden, "not a regular file: \(s.root + path)")
        }
        let fd = reopen(pathFD, s.root + path, s)
        if fd < 0 { return failure(errno, s.root + path) }
        // The last byte segment (a mark after `/` starts the name; it is not glued to the slash).
        let name = Substring(
            path.unicodeScalars[(path.utf8.lastIndex(of: 0x2F).map { path.utf8.index(after: $0) } ?? path.startIndex)...])
        let type = s.mimeTypes.contentType(forFile: name)
        guard let file = entry(fd: fd, st: st, contentType: type, encoding: nil, s) else {
            let e = errno
            close(fd)
            return .failure(.internalServerError, "read failed: \(s.root + path): \(String(cString: strerror(e)))")
        }
        var variants: [FileEntry] = []
        if s.precompressed {
            for (suffix, encoding) in [(".br", "br"), (".gz", "gzip")] {
                guard case .success(let (vpath, vst)) = resolve(path + suffix, s) else { continue }
                guard (vst.st_mode & S_IFMT) == S_IFREG, modifiedSeconds(vst) >= modifiedSeconds(st) else {
                    close(vpath)
                    continue
                }
                let vfd = reopen(vpath, s.root + path + suffix, s)
                if vfd < 0 { continue }
                if let v = entry(fd: vfd, st: vst, contentType: type, encoding: encoding, s) {
                    variants.append(v)
                } else {
                    close(vfd)
                }
            }
        }
        return .file(FileResource(file: file, variants: variants, servedPath: path))
    }

    static func modifiedSeconds(_ st: stat) -> Int { Int(st.st_mtim.tv_sec) }

    /// Builds an entry (reading small files whole); nil on a read error. The caller keeps `fd` on failure.
    static func entry(fd: Int32, st: stat, contentType: String, encoding: String?, _ s: LookupSettings) -> FileEntry? {
        let size = Int(st.st_size)
        var content: [UInt8]?
        if size <= s.smallFileLimit {
            var buffer = [UInt8](repeating: 0, count: size)
            var done = 0
            while done < size {
                let read = buffer.withUnsafeMutableBytes { raw in
                    retryingEINTR { pread(fd, raw.baseAddress! + done, size - done, off_t(done)) }
                }
                guard case .success(let n) = read, n > 0 else { break }
                done += n
            }
            if done != size { return nil }
            content = buffer
        }
        // Strong ETag from mtime (with nanoseconds), size and inode, like nginx's "mtime-size";
        // bit patterns, so a pre-1970 (negative) mtime is a tag like any other.
        let mtimeNs =
            UInt64(bitPattern: Int64(st.st_mtim.tv_sec)) &* 1_000_000_000 &+ UInt64(bitPattern: Int64(st.st_mtim.tv_nsec))
        var tag = "\"" + String(mtimeNs, radix: 16) + "-" + String(size, radix: 16) + "-" + String(UInt64(st.st_ino), radix: 16)
        if let encoding { tag += "-" + (encoding == "gzip" ? "gz" : encoding) }
        tag += "\""
        // RFC 9110 §8.8.2.1: a Last-Modified in the future is replaced by the time of the answer.
        let modified = min(modifiedSeconds(st), Int(time(nil)))
        return FileEntry(
            fd: fd, info: FileInfo(size: size, modified: modified, etag: tag, contentType: contentType, encoding: encoding),
            content: content)
    }

    /// nil when the open file may be served under the symlink policy and, with HideDotfiles, resolves to
    /// no dot component inside the root that `logicalPath` does not name itself (a symlink `docs -> .git`),
    /// else the failure to answer. The kernel's view of the open descriptor (/proc/self/fd) is checked, so
    /// no race with renames; paths are compared as bytes.
    static func symlinkRefusal(fd: Int32, logicalPath: String, _ s: LookupSettings) -> LookupResult? {
        if s.symlinks == .on && !s.hideDotfiles { return nil }
        guard let real = realPath(ofDescriptor: fd, s.root + logicalPath, s) else {
            if s.namesByPath { return .failure(.notFound, "\(s.root + logicalPath) changed while it was looked up") }
            return .failure(.internalServerError, "cannot read /proc/self/fd/\(fd)")
        }
        let inside = relativeInsideRoot(real, s.realRootBytes)
        switch s.symlinks {
        case .on:
            break
        case .inside:
            if inside == nil { return refusal(logicalPath, real, s) }
        case .off:
            var expected = s.realRootBytes == [0x2F] ? [] : s.realRootBytes
            expected.append(contentsOf: logicalPath.utf8)
            while expected.count > 1 && expected.last == 0x2F { expected.removeLast() }
            if real != expected { return refusal(logicalPath, real, s) }
        }
        if s.hideDotfiles, let inside, PathNormalizer.isHidden(bytes: inside),
            !PathNormalizer.isHidden(bytes: logicalPath.utf8)
        {
            return .failure(
                .notFound, "resolves to a hidden path: \(s.root + logicalPath) -> \(String(decoding: real, as: UTF8.self))")
        }
        return nil
    }

    /// The part of `real` below `root` (compared as bytes, at a `/` boundary), or nil when it is outside.
    static func relativeInsideRoot(_ real: [UInt8], _ root: [UInt8]) -> ArraySlice<UInt8>? {
        guard real.starts(with: root) else { return nil }
        let rest = real[root.count...]
        if rest.isEmpty || root.last == 0x2F || rest.first == 0x2F { return rest }
        return nil
    }

    static func refusal(_ logicalPath: String, _ real: [UInt8], _ s: LookupSettings) -> LookupResult {
        .failure(
            .notFound,
            "symlink leaves the document root or is not allowed: \(s.root + logicalPath) -> \(String(decoding: real, as: UTF8.self))"
        )
    }

    /// The absolute path the kernel has for an open descriptor, as its exact bytes; `full` is the path it was
    /// opened by. By path (`namesByPath`): realpath(3) of `full`, when it still leads to the descriptor's inode.
    static func realPath(ofDescriptor fd: Int32, _ full: String, _ s: LookupSettings) -> [UInt8]? {
        guard s.namesByPath else { return realPath(ofDescriptor: fd) }
        guard let p = Glibc.realpath(full, nil) else { return nil }
        defer { free(p) }
        var st = stat()
        var held = stat()
        guard stat(p, &st) == 0, fstat(fd, &held) == 0, st.st_dev == held.st_dev, st.st_ino == held.st_ino else { return nil }
        return Array(UnsafeRawBufferPointer(start: p, count: strlen(p)))
    }

    /// The absolute path the kernel has for an open descriptor (/proc/self/fd), as its exact bytes.
    static func realPath(ofDescriptor fd: Int32) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = buffer.withUnsafeMutableBytes { raw in
            readlink("/proc/self/fd/\(fd)", raw.baseAddress!.assumingMemoryBound(to: CChar.self), Int(PATH_MAX))
        }
        guard n > 0 else { return nil }
        buffer.removeSubrange(n...)
        return buffer
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

    /// Entries an automatic index reads at most: a huge directory costs one bounded readdir, not one
    /// `fstatat` per file on every request (the page says how many were left out).
    public static let maxListingEntries = 10_000

    /// An HTML listing of the directory (`directory` is its O_PATH descriptor, kept by the caller):
    /// names escaped, links percent-encoded, entries the symlink policy refuses left out, at most
    /// `maxListingEntries` directory entries read.
    static func listing(_ path: String, directory: Int32, _ s: LookupSettings) -> LookupResult {
        let full = s.root + path
        let dirFD = openAgain(directory, full, s, flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0, let dir = fdopendir(dirFD) else {
            let e = errno
            if dirFD >= 0 { close(dirFD) }
            return failure(e, full)
        }
        defer { closedir(dir) }
        var rows: [(name: String, isDir: Bool, size: Int, modified: Int)] = []
        var read = 0
        var truncated = false
        while let ent = readdir(dir) {
            if read == maxListingEntries {
                truncated = true
                break
            }
            read += 1
            let bytes = withUnsafeBytes(of: ent.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
            // Decided on the bytes; a name that is not UTF-8 could never be requested, so it is not listed.
            if bytes == [0x2E] || bytes == [0x2E, 0x2E] || (s.hideDotfiles && bytes.first == 0x2E) { continue }
            guard PathNormalizer.isValidUTF8(bytes) else { continue }
            let name = String(decoding: bytes, as: UTF8.self)
            var st = stat()
            guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFLNK {
                // Show a symlink only where it would be served, with what it points at.
                if s.symlinks == .off { continue }
                let target = openat(dirFD, name, pathOnly | O_CLOEXEC)
                if target < 0 { continue }
                defer { close(target) }
                guard symlinkRefusal(fd: target, logicalPath: path + name, s) == nil, fstat(target, &st) == 0 else { continue }
            }
            rows.append((name, (st.st_mode & S_IFMT) == S_IFDIR, Int(st.st_size), Int(st.st_mtim.tv_sec)))
        }
        // Directories first, then by bytes (canonically equivalent names keep a stable order).
        rows.sort { a, b in
            a.isDir != b.isDir ? a.isDir : a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        let title = "Index of " + HTMLEscape.escape(path)
        var html =
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>\(title)</title></head>\n<body>\n<h1>\(title)</h1>\n<table>\n"
        html += "<tr><th>Name</th><th>Last modified</th><th>Size</th></tr>\n"
        if !path.utf8.elementsEqual([0x2F]) { html += "<tr><td><a href=\"../\">../</a></td><td></td><td>-</td></tr>\n" }
        for row in rows {
            let display = row.name + (row.isDir ? "/" : "")
            let href = "./" + PathNormalizer.encode(row.name) + (row.isDir ? "/" : "")
            html += "<tr><td><a href=\"\(HTMLEscape.escape(href))\">\(HTMLEscape.escape(display))</a></td>"
            html += "<td>\(HTTPDate.format(row.modified))</td><td>\(row.isDir ? "-" : String(row.size))</td></tr>\n"
        }
        html += "</table>\n"
        if truncated { html += "<p>Only the first \(maxListingEntries) entries of this folder were read.</p>\n" }
        html += "</body></html>\n"
        return .listing(Array(html.utf8))
    }
}
