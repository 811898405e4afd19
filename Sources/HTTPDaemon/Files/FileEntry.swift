// An open file with the metadata every response about it repeats, and what a path resolves to.
#if canImport(Glibc)
    import Glibc
#endif

/// An open regular file and its validators; the descriptor is closed when the last user lets go.
/// Immutable, so it crosses from a worker to the loop thread and stays in the open-file cache.
public final class FileEntry: Sendable {
    /// Read-only descriptor; callers that hand it to the kernel for sendfile use a `dup` of it.
    public let fd: Int32
    public let size: Int
    public let modified: Int
    public let validators: Validators
    /// `Last-Modified` value, formatted once.
    public let lastModifiedText: String
    /// Content-Type header value (charset included).
    public let contentType: String
    /// The whole file for small files, so they go out in the same write as the head.
    public let content: [UInt8]?
    /// `br` or `gzip` for a precompressed variant, nil for the file itself.
    public let encoding: String?

    public init(fd: Int32, size: Int, modified: Int, etag: String, contentType: String, content: [UInt8]?, encoding: String?) {
        self.fd = fd
        self.size = size
        self.modified = modified
        self.validators = Validators(etag: etag, lastModified: modified)
        self.lastModifiedText = HTTPDate.format(modified)
        self.contentType = contentType
        self.content = content
        self.encoding = encoding
    }

    deinit {
        if fd >= 0 { close(fd) }
    }
}

/// A file found for a request path, with its precompressed variants.
public struct FileResource: Sendable {
    public var file: FileEntry
    /// Variants by preference (br before gzip), each not older than `file`.
    public var variants: [FileEntry]
    /// Decoded path of the file actually served (differs from the request path for a directory index).
    public var servedPath: String

    public init(file: FileEntry, variants: [FileEntry], servedPath: String) {
        self.file = file
        self.variants = variants
        self.servedPath = servedPath
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
