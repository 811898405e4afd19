// What the static-response decision knows of a file: metadata only, never a descriptor.
// A response body names its bytes as a region of one of these representations; the server maps the
// region back to the open file that it holds.

/// The metadata of one representation of a file (the file itself or a precompressed variant).
public struct FileInfo: Sendable {
    public let size: Int
    /// Modification time, in POSIX seconds.
    public let modified: Int
    public let validators: Validators
    /// `Last-Modified` value, formatted once.
    public let lastModifiedText: String
    /// Content-Type header value (charset included).
    public let contentType: String
    /// `br` or `gzip` for a precompressed variant, nil for the file itself.
    public let encoding: String?

    public init(size: Int, modified: Int, etag: String, contentType: String, encoding: String?) {
        self.size = size
        self.modified = modified
        self.validators = Validators(etag: etag, lastModified: modified)
        self.lastModifiedText = HTTPDate.format(modified)
        self.contentType = contentType
        self.encoding = encoding
    }
}

/// Which representation of a `StaticFile` a body region reads.
public enum Representation: Sendable, Equatable {
    /// The file itself.
    case original
    /// `variants[index]`.
    case variant(Int)
}

/// `length` bytes from `offset` of one representation of the response's file.
public struct FileRegion: Sendable, Equatable {
    public var representation: Representation
    public var offset: Int
    public var length: Int

    public init(_ representation: Representation, offset: Int, length: Int) {
        self.representation = representation
        self.offset = offset
        self.length = length
    }
}

/// A found file and its precompressed variants, as the static decision sees them.
public struct StaticFile: Sendable {
    public var info: FileInfo
    /// Variants by preference (br before gzip), each not older than the file.
    public var variants: [FileInfo]
    /// Decoded path of the file actually served (differs from the request path for a directory index).
    public var servedPath: String

    public init(info: FileInfo, variants: [FileInfo], servedPath: String) {
        self.info = info
        self.variants = variants
        self.servedPath = servedPath
    }

    /// The metadata of `representation`.
    public subscript(_ representation: Representation) -> FileInfo {
        switch representation {
        case .original: info
        case .variant(let i): variants[i]
        }
    }
}
