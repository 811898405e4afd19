// Request path → safe relative file path: percent-decode once, refuse what could escape the
// document root (NUL, bad escapes, encoded slashes, backslashes, `..` above the root), remove dot segments.

import Support

/// The outcome of normalizing a request path.
public struct NormalizedPath: Sendable, Equatable {
    /// Decoded path starting with `/`, dot segments removed, duplicate slashes merged.
    public var path: String
    /// True when the request path ended with `/` (a directory was asked for).
    public var hasTrailingSlash: Bool { path.hasSuffix("/") }

    public init(path: String) { self.path = path }
}

/// Pure path normalization.
public enum PathNormalizer {
    /// Decodes and normalizes `rawPath` (the target's path, still percent-encoded).
    public static func normalize(_ rawPath: String) -> Result<NormalizedPath, RequestError> {
        normalize(bytes: Array(rawPath.utf8))
    }

    /// Decodes and normalizes a path given as the raw bytes of the request target.
    public static func normalize(bytes: [UInt8]) -> Result<NormalizedPath, RequestError> {
        guard bytes.first == 0x2F else { return .failure(RequestError(.badRequest, "path does not start with /")) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x25 {
                guard i + 2 < bytes.count, let hi = hexDigitValue(bytes[i + 1]), let lo = hexDigitValue(bytes[i + 2]) else {
                    return .failure(RequestError(.badRequest, "bad percent-escape in path"))
                }
                let d = hi << 4 | lo
                if d == 0 { return .failure(RequestError(.badRequest, "NUL in path")) }
                if d == 0x2F { return .failure(RequestError(.badRequest, "encoded slash in path")) }
                decoded.append(d)
                i += 3
            } else {
                decoded.append(c)
                i += 1
            }
        }
        if decoded.contains(0x5C) { return .failure(RequestError(.badRequest, "backslash in path")) }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            return .failure(RequestError(.badRequest, "path is not UTF-8"))
        }
        // RFC 3986 §5.2.4 on whole segments; an empty segment (//) is dropped.
        var segments: [Substring] = []
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var trailingSlash = false
        for (index, segment) in parts.enumerated() {
            let isLast = index == parts.count - 1
            switch segment {
            case "", ".":
                if isLast { trailingSlash = true }
            case "..":
                if segments.isEmpty { return .failure(RequestError(.badRequest, "path goes above the document root")) }
                segments.removeLast()
                if isLast { trailingSlash = true }
            default:
                segments.append(segment)
            }
        }
        var path = "/" + segments.joined(separator: "/")
        if trailingSlash && !segments.isEmpty { path += "/" }
        return .success(NormalizedPath(path: path))
    }

    /// True when a segment of `path` starts with a dot, other than a leading `/.well-known/`.
    public static func isHidden(_ path: String) -> Bool {
        var segments = path.split(separator: "/")
        if segments.first == ".well-known" { segments.removeFirst() }
        return segments.contains { $0.hasPrefix(".") }
    }

    /// Percent-encodes a decoded path for a Location header or a link (keeps `/` and unreserved characters).
    public static func encode(_ path: String) -> String {
        percentEncode(path.utf8) { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || "-._~/!$&'()*+,;=:@".utf8.contains(b)
        }
    }
}
