// Request path → safe relative file path: percent-decode once, refuse what could escape the
// document root (NUL, bad escapes, encoded slashes, backslashes, `..` above the root), remove dot segments.

import Support

/// The outcome of normalizing a request path; compared as bytes (never by Unicode equivalence).
public struct NormalizedPath: Sendable, Equatable {
    /// Decoded path starting with `/`, dot segments removed, duplicate slashes merged (valid UTF-8).
    public var path: String
    /// True when the request path ended with `/` (a directory was asked for).
    public var hasTrailingSlash: Bool { path.utf8.last == 0x2F }

    public init(path: String) { self.path = path }

    /// Byte equality: NFC and NFD forms of one name, or U+212A and `K`, are different paths.
    public static func == (a: NormalizedPath, b: NormalizedPath) -> Bool { a.path.utf8.elementsEqual(b.path.utf8) }
}

/// Pure path normalization, on bytes: segments split on 0x2F, `.` and `..` recognized as exact bytes only.
public enum PathNormalizer {
    /// Decodes and normalizes `rawPath` (the target's path, still percent-encoded).
    public static func normalize(_ rawPath: String) -> Result<NormalizedPath, RequestError> {
        normalize(bytes: Array(rawPath.utf8))
    }

    /// Decodes and normalizes a request target's path as the parser gave it (ISO-8859-1: one character
    /// per byte). A path that is already normal (ASCII, no escapes, no empty, `.` or `..` segments, no
    /// backslash) is its own result, without copying.
    public static func normalize(target path: String) -> Result<NormalizedPath, RequestError> {
        var copy = path
        if copy.withUTF8({ isAlreadyNormal($0) }) { return .success(NormalizedPath(path: path)) }
        return normalize(bytes: path.latin1Bytes)
    }

    /// True when `normalize(bytes:)` would give `bytes` back unchanged (checked without building anything).
    static func isAlreadyNormal(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.first == 0x2F else { return false }
        var segmentStart = 1
        for i in 1..<bytes.count + 1 {
            let c: UInt8 = i < bytes.count ? bytes[i] : 0x2F
            if c == 0x2F {
                let n = i - segmentStart
                // An empty segment other than the last (`//`), `.` or `..`.
                if n == 0 && i < bytes.count { return false }
                if n == 1 && bytes[segmentStart] == 0x2E { return false }
                if n == 2 && bytes[segmentStart] == 0x2E && bytes[segmentStart + 1] == 0x2E { return false }
                segmentStart = i + 1
            } else if c <= 0x20 || c >= 0x7F || c == 0x25 || c == 0x5C {
                return false
            }
        }
        return true
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
        // Validity only: every decision below is on the bytes, never on Characters.
        guard isValidUTF8(decoded) else { return .failure(RequestError(.badRequest, "path is not UTF-8")) }
        // RFC 3986 §5.2.4 on whole byte segments (split on 0x2F); an empty segment (//) is dropped.
        // `output` holds the kept segments, each preceded by `/`; `starts` where each begins.
        var output: [UInt8] = []
        output.reserveCapacity(decoded.count)
        var starts: [Int] = []
        var trailingSlash = false
        var start = 1
        while start <= decoded.count {
            let end = decoded[start...].firstIndex(of: 0x2F) ?? decoded.count
            let isLast = end == decoded.count
            let segment = decoded[start..<end]
            if segment.isEmpty || isDot(segment) {
                if isLast { trailingSlash = true }
            } else if isDotDot(segment) {
                guard let last = starts.popLast() else {
                    return .failure(RequestError(.badRequest, "path goes above the document root"))
                }
                output.removeSubrange(last...)
                if isLast { trailingSlash = true }
            } else {
                starts.append(output.count)
                output.append(0x2F)
                output.append(contentsOf: segment)
            }
            start = end + 1
        }
        if output.isEmpty || trailingSlash { output.append(0x2F) }
        return .success(NormalizedPath(path: String(decoding: output, as: UTF8.self)))
    }

    /// True when `segment` is exactly the byte `.`.
    static func isDot(_ segment: ArraySlice<UInt8>) -> Bool { segment.count == 1 && segment.first == 0x2E }

    /// True when `segment` is exactly the bytes `..`.
    static func isDotDot(_ segment: ArraySlice<UInt8>) -> Bool {
        segment.count == 2 && segment.first == 0x2E && segment.last == 0x2E
    }

    /// True when `bytes` are well-formed UTF-8 (no overlong forms, surrogates or values above U+10FFFF).
    public static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        if !bytes.contains(where: { $0 >= 0x80 }) { return true }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// True when a segment of `path` starts with a dot, other than a leading `/.well-known/`.
    public static func isHidden(_ path: String) -> Bool {
        var path = path
        return path.withUTF8 { isHidden(bytes: $0) }
    }

    /// True when a byte segment (split on 0x2F) starts with 0x2E, other than a leading `.well-known` segment.
    public static func isHidden<Bytes: Collection<UInt8>>(bytes path: Bytes) -> Bool {
        var first = true
        var atSegmentStart = true
        var index = path.startIndex
        while index != path.endIndex {
            let b = path[index]
            if b == 0x2F {
                atSegmentStart = true
            } else if atSegmentStart {
                atSegmentStart = false
                let wasFirst = first
                first = false
                if b == 0x2E {
                    if !(wasFirst && isWellKnown(path[index...])) { return true }
                }
            }
            index = path.index(after: index)
        }
        return false
    }

    /// True when `rest` starts with the whole segment `.well-known`.
    static func isWellKnown<Bytes: Collection<UInt8>>(_ rest: Bytes) -> Bool {
        let name = ".well-known".utf8
        guard rest.starts(with: name) else { return false }
        let after = rest.dropFirst(name.count)
        return after.isEmpty || after.first == 0x2F
    }

    /// Percent-encodes a decoded path, byte by byte, for a Location header or a link (keeps `/` and unreserved bytes).
    public static func encode(_ path: String) -> String {
        percentEncode(path.utf8) { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || "-._~/!$&'()*+,;=:@".utf8.contains(b)
        }
    }
}
