// File extension → media type: the text of /etc/mime.types (or TypesConfig, which ServerSettings
// reads) laid over a built-in table, with a charset added to text types (AddDefaultCharset).

import Synchronization

/// An immutable extension → Content-Type map. The types file is not parsed at start: each extension
/// asked for is looked up in its text (the last line listing it wins, as in a whole parse) and
/// remembered; after `scansBeforeTable` different extensions the whole table is built once.
/// inetd mode, which serves one connection per process, so reads only the one extension it needs.
public struct MIMETypes: Sendable {
    let file: TypesFile?
    public let defaultType: String
    public let charset: String?

    /// Distinct extensions looked up in the text before the whole table is built instead.
    static let scansBeforeTable = 32

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
        self.init(mimeTypesFile: mimeTypesText.map { Array($0.utf8) }, defaultType: defaultType, charset: charset)
    }

    /// A table from the bytes of a mime.types file laid over the built-in one; nil: the built-in table only.
    public init(mimeTypesFile bytes: [UInt8]?, defaultType: String, charset: String?) {
        file = bytes.map(TypesFile.init)
        self.defaultType = defaultType
        self.charset = charset
    }

    /// The whole table, as a complete parse gives it: the built-in one, then every line of the file in order.
    static func table(_ bytes: [UInt8]?) -> [String: String] {
        var table = Self.builtin
        if let bytes {
            bytes.withUnsafeBufferPointer { Self.parse($0, into: &table) }
            // Keep the web's usual answers where Debian's file differs from current practice.
            table["js"] = "text/javascript"
            table["mjs"] = "text/javascript"
        }
        return table
    }

    /// Adds `type ext ext...` lines (comments start with #) to `table`; extensions lowercased.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, into table: inout [String: String]) {
        forEachLine(bytes) { type, words in
            let typeName = String(decoding: UnsafeBufferPointer(rebasing: bytes[type]), as: UTF8.self)
            for w in words {
                table[String(decoding: bytes[w].map(asciiLowercased), as: UTF8.self)] = typeName
            }
        }
    }

    /// The type the last `type ext...` line listing `key` (lowercase) gives it, read as `parse` reads it; nil if none.
    static func lastType(of key: String, in bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var utf8 = key
        let found = utf8.withUTF8 { k -> Range<Int>? in
            if searchable(k) { return lastLine(listing: k, in: bytes) }
            var found: Range<Int>?
            let nonASCIIKey = k.allSatisfy { $0 < 0x80 } ? nil : key
            forEachLine(bytes) { type, words in
                for w in words where matches(bytes[w], k, nonASCIIKey) { found = type }
            }
            return found
        }
        return found.map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
    }

    /// Whether only a word of the same ASCII bytes can equal `k` as a String, so that its occurrences can be
    /// searched for: ASCII without uppercase letters, `;` and `` ` `` (U+212A, U+037E and U+1FEF are
    /// canonically equivalent to `K`, `;` and `` ` ``; no other non-ASCII text is equivalent to ASCII text).
    static func searchable(_ k: UnsafeBufferPointer<UInt8>) -> Bool {
        !k.isEmpty && k.allSatisfy { $0 < 0x80 && !($0 >= 0x41 && $0 <= 0x5A) && $0 != 0x3B && $0 != 0x60 }
    }

    /// The type word of the last line that lists `k` (searchable): its occurrences are tried from the end
    /// of the text, so a known extension is usually found without reading the whole file.
    static func lastLine(listing k: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let m = k.count
        var p = bytes.count - m
        let first = k[0]
        while p >= 0 {
            if asciiLowercased(bytes[p]) == first, isWord(k, at: p, in: bytes), let type = typeWord(ofLineListing: p, in: bytes) {
                return type
            }
            p -= 1
        }
        return nil
    }

    /// Whether the bytes at `p`, lowercased, are `k` and a whole word (separators or the text's ends around it).
    static func isWord(_ k: UnsafeBufferPointer<UInt8>, at p: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let end = p + k.count
        if p > 0 && !isSeparator(bytes[p - 1]) { return false }
        if end < bytes.count && !isSeparator(bytes[end]) && bytes[end] != 0x23 { return false }
        for j in 0..<k.count where asciiLowercased(bytes[p + j]) != k[j] { return false }
        return true
    }

    /// The type word of the line holding the word at `p`, when that line is a `type ext...` line and the word
    /// one of its extensions (not its first word, not in a comment); else nil.
    static func typeWord(ofLineListing p: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var start = p
        while start > 0 && bytes[start - 1] != 0x0A { start -= 1 }
        var i = start
        while i < p && bytes[i] != 0x23 { i += 1 }
        if i < p { return nil }  // a comment started before it
        i = start
        while i < p && isSeparator(bytes[i]) { i += 1 }
        if i == p { return nil }  // it is the line's first word
        let type = i
        while !isSeparator(bytes[i]) && bytes[i] != 0x23 { i += 1 }  // stops before p, at a separator
        return bytes[type..<i].contains(0x2F) ? type..<i : nil
    }

    /// Space, tab, CR (which separate words) and LF (which ends a line).
    static func isSeparator(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }

    /// Whether `word`, lowercased as `parse` does, is the key `k`: bytes compared when both are ASCII,
    /// else the decoded strings (String equality, as the table's lookup uses). `key` is set when `k` is not ASCII.
    static func matches(_ word: Slice<UnsafeBufferPointer<UInt8>>, _ k: UnsafeBufferPointer<UInt8>, _ key: String?) -> Bool {
        var ascii = key == nil
        if ascii {
            var j = 0
            for b in word {
                if b >= 0x80 {
                    ascii = false
                    break
                }
                if j == k.count || asciiLowercased(b) != k[j] { return false }
                j += 1
            }
            if ascii { return j == k.count }
        }
        return String(decoding: word.map(asciiLowercased), as: UTF8.self) == (key ?? String(decoding: k, as: UTF8.self))
    }

    /// Calls `body(type, extensions)` for each line of at least two words whose first has a `/`: words are
    /// separated by spaces, tabs and CRs, a line ends at LF, `#` starts a comment.
    static func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>, ArraySlice<Range<Int>>) -> Void) {
        var i = 0
        let n = bytes.count
        var words: [Range<Int>] = []
        while i < n {
            words.removeAll(keepingCapacity: true)
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
            body(words[0], words.dropFirst())
        }
    }

    static func asciiLowercased(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// The media type for a lowercased extension, or nil when neither the file nor the built-in table has it.
    func type(forExtension key: String) -> String? {
        guard let file else { return Self.builtin[key] }
        if key == "js" || key == "mjs" { return "text/javascript" }
        return file.type(forExtension: key)
    }

    /// The media type for a file name, without charset.
    public func mediaType(forFile name: Substring) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return defaultType }
        let ext = name[name.index(after: dot)...]
        if ext.isEmpty || ext.contains("/") { return defaultType }
        return type(forExtension: ext.lowercased()) ?? defaultType
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

/// A types file's text and what has been looked up in it so far; shared by the copies of one MIMETypes
/// (worker threads look types up too, hence the lock).
final class TypesFile: Sendable {
    struct State {
        /// The file, until the whole table is built from it.
        var bytes: [UInt8]?
        /// Extensions looked up in the text so far, and their answers ("": neither the file nor the built-in
        /// table has it; a type is never empty). Arrays searched in order, not a dictionary: they hold at most
        /// `scansBeforeTable` entries, and the first use of a new generic type costs the runtime a lookup in
        /// every protocol conformance of the binary, which inetd mode would pay at each connection.
        var foundKeys: [String] = []
        var foundTypes: [String] = []
        /// The whole table, once `MIMETypes.scansBeforeTable` extensions have been looked up.
        var table: [String: String]?
    }

    let state: Mutex<State>

    init(_ bytes: [UInt8]) { state = Mutex(State(bytes: bytes)) }

    /// The type for a lowercased extension other than js and mjs: from the table once built, else from the text.
    func type(forExtension key: String) -> String? {
        state.withLock { s in
            if let table = s.table { return table[key] }
            if let known = s.foundKeys.firstIndex(of: key) { return s.foundTypes[known].isEmpty ? nil : s.foundTypes[known] }
            guard s.foundKeys.count < MIMETypes.scansBeforeTable else {
                let table = MIMETypes.table(s.bytes)
                s = State(bytes: nil, table: table)
                return table[key]
            }
            let type = s.bytes!.withUnsafeBufferPointer { MIMETypes.lastType(of: key, in: $0) } ?? MIMETypes.builtin[key]
            s.foundKeys.append(key)
            s.foundTypes.append(type ?? "")
            return type
        }
    }
}
