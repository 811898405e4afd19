// File extension → media type: the text of /etc/mime.types (or TypesConfig, which ServerSettings
// reads) laid over a built-in table, with a charset added to text types (AddDefaultCharset).

/// An immutable extension → Content-Type map.
public struct MIMETypes: Sendable {
    var byExtension: [String: String]
    public let defaultType: String
    public let charset: String?

    /// The table shipped in the binary, used when no mime.types file is available.
    public static let builtin: [String: String] = [
        "html": "text/html", "htm": "text/html", "css": "text/css", "js": "text/javascript", "mjs": "text/javascript",
        "json": "application/json", "txt": "text/plain", "md": "text/markdown", "csv": "text/csv", "xml": "application/xml",
        "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
        "webp": "image/webp", "avif": "image/avif", "ico": "image/vnd.microsoft.icon", "bmp": "image/bmp",
        "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf",
        "pdf": "application/pdf", "zip": "application/zip", "gz": "application/gzip", "tar": "application/x-tar",
        "wasm": "application/wasm", "mp3": "audio/mpeg", "ogg": "audio/ogg", "wav": "audio/wav", "mp4": "video/mp4",
        "webm": "video/webm", "webmanifest": "application/manifest+json", "atom": "application/atom+xml",
        "rss": "application/rss+xml", "ics": "text/calendar",
    ]

    /// A table from `mimeTypesText` (mime.types format) laid over the built-in one.
    public init(mimeTypesText: String?, defaultType: String, charset: String?) {
        var table = Self.builtin
        if let text = mimeTypesText {
            // Byte-level parse: inetd mode reads this file on every connection, so it must be cheap.
            var copy = text
            copy.withUTF8 { Self.parse($0, into: &table) }
            // Keep the web's usual answers where Debian's file differs from current practice.
            table["js"] = "text/javascript"
            table["mjs"] = "text/javascript"
        }
        byExtension = table
        self.defaultType = defaultType
        self.charset = charset
    }

    /// Adds `type ext ext...` lines (comments start with #) to `table`; extensions lowercased.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, into table: inout [String: String]) {
        var i = 0
        let n = bytes.count
        while i < n {
            // One line: words separated by spaces/tabs; stop at '#' or end of line.
            var words: [Range<Int>] = []
            while i < n && bytes[i] != 0x0A {
                let c = bytes[i]
                if c == 0x23 {
                    while i < n && bytes[i] != 0x0A { i += 1 }
                    break
                }
                if c == 0x20 || c == 0x09 || c == 0x0D {
                    i += 1
                    continue
                }
                let start = i
                while i < n, bytes[i] != 0x20, bytes[i] != 0x09, bytes[i] != 0x0D, bytes[i] != 0x0A, bytes[i] != 0x23 { i += 1 }
                words.append(start..<i)
            }
            i += 1
            guard words.count > 1, bytes[words[0]].contains(0x2F) else { continue }
            let type = String(decoding: UnsafeBufferPointer(rebasing: bytes[words[0]]), as: UTF8.self)
            for w in words.dropFirst() {
                let ext = String(decoding: bytes[w].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
                table[ext] = type
            }
        }
    }

    /// The media type for a file name, without charset.
    public func mediaType(forFile name: Substring) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return defaultType }
        let ext = name[name.index(after: dot)...]
        if ext.isEmpty || ext.contains("/") { return defaultType }
        return byExtension[ext.lowercased()] ?? defaultType
    }

    /// The Content-Type header value for a file name: the media type plus the charset for text types.
    public func contentType(forFile name: Substring) -> String {
        let type = mediaType(forFile: name)
        return withCharset(type)
    }

    /// `type; charset=X` for text types (and JavaScript/JSON) when a default charset is set.
    public func withCharset(_ type: String) -> String {
        guard let charset,
            type.hasPrefix("text/") || type == "application/javascript" || type == "application/json"
                || type == "image/svg+xml" || type == "application/xml"
        else { return type }
        return "\(type); charset=\(charset)"
    }
}
