// An open file with the metadata every response about it repeats, and what a path resolves to.

public import HTTPCore

#if canImport(Glibc)
    import Glibc
#endif

/// An open regular file and its metadata; the descriptor is closed when the last user lets go.
/// Crosses from a worker to the loop thread and stays in the open-file cache.
public final class FileEntry: Sendable {
    /// Read-only descriptor, owned by this entry (closed in deinit, never elsewhere).
    public let fd: Int32
    /// What responses repeat about the file: size, validators, type, encoding.
    public let info: FileInfo
    /// The whole file for small files, so they go out in the same write as the head.
    public let content: [UInt8]?
    /// What the sending side derives from `fd` once and shares between responses (a libevent file
    /// segment). Set and read on the loop thread only; released with the entry.
    nonisolated(unsafe) public var sendHandle: AnyObject?

    public init(fd: Int32, info: FileInfo, content: [UInt8]?) {
        self.fd = fd
        self.info = info
        self.content = content
    }

    public var size: Int { info.size }

    deinit {
        if fd >= 0 { close(fd) }
    }
}

/// A file found for a request path, with its precompressed variants (a class: responses, the cache and
/// the connection sending it share one, instead of copying its fields).
public final class FileResource: Sendable {
    public let file: FileEntry
    /// Variants by preference (br before gzip), each not older than `file`.
    public let variants: [FileEntry]
    /// Decoded path of the file actually served (differs from the request path for a directory index).
    public let servedPath: String

    /// The same file as the static-response decision sees it (metadata only), built once.
    public let metadata: StaticFile

    /// The head lines of this file's plain 200 as the loop thread rendered them, and the settings
    /// (compared by identity) they were rendered under. Set and read on the loop thread only.
    nonisolated(unsafe) public var renderedFields: (settings: AnyObject, bytes: [UInt8])?

    public init(file: FileEntry, variants: [FileEntry], servedPath: String) {
        self.file = file
        self.variants = variants
        self.servedPath = servedPath
        self.metadata = StaticFile(info: file.info, variants: variants.map(\.info), servedPath: servedPath)
    }

    /// The open file behind `representation`.
    public func entry(_ representation: Representation) -> FileEntry {
        switch representation {
        case .original: file
        case .variant(let i): variants[i]
        }
    }
}

/// What a request path resolves to on disk.
public enum LookupResult: Sendable {
    case file(FileResource)
    /// A directory asked for without its trailing slash: redirect to `path/`.
    case directoryRedirect
    /// An automatic index page (HTML).
    case listing([UInt8])
    case failure(HTTPStatus, String)
}
