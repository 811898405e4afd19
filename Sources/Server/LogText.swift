// Escaping for log text that may hold bytes a client sent: every control byte and non-ASCII byte as
// a visible escape, so one message is one line and reaches no terminal as an escape sequence.
// Shared by the access log (Apache's ap_escape_logitem) and the error log (with a length cap).

/// Log-text escaping and truncation.
public enum LogText {
    /// The longest escaped error-log message line, in bytes, before the truncation marker.
    public static let errorLogLimit = 1024

    /// `text` with `\` backslashed (and `"` when `quotes`), C escapes for \b \n \r \t \v, and `\xhh`
    /// for other control bytes and bytes above 0x7e; characters up to U+00FF count as one byte (request
    /// text is decoded as ISO-8859-1), others as their UTF-8 bytes. With a `limit`, the escaped text is
    /// cut at the last whole escape within `limit` bytes and ends with `...[truncated, N bytes]`
    /// (N: the UTF-8 size of `text`).
    public static func escape(_ text: String, quotes: Bool, limit: Int? = nil) -> String {
        var needs = false
        for b in text.utf8 where b < 0x20 || b > 0x7E || (quotes && b == 0x22) || b == 0x5C {
            needs = true
            break
        }
        if !needs, limit.map({ text.utf8.count <= $0 }) ?? true { return text }
        let hex = Array("0123456789abcdef".utf8)
        let cap = limit ?? Int.max
        var out: [UInt8] = []
        out.reserveCapacity(min(text.utf8.count, cap) + 32)
        var truncated = false
        /// Appends the escape for `b`; false (and nothing appended) when it would pass the limit.
        func append(_ b: UInt8) -> Bool {
            var escaped: (UInt8, UInt8?, UInt8?, UInt8?)
            switch b {
            case 0x22 where quotes: escaped = (0x5C, 0x22, nil, nil)
            case 0x5C: escaped = (0x5C, 0x5C, nil, nil)
            case 0x08: escaped = (0x5C, UInt8(ascii: "b"), nil, nil)
            case 0x0A: escaped = (0x5C, UInt8(ascii: "n"), nil, nil)
            case 0x0D: escaped = (0x5C, UInt8(ascii: "r"), nil, nil)
            case 0x09: escaped = (0x5C, UInt8(ascii: "t"), nil, nil)
            case 0x0B: escaped = (0x5C, UInt8(ascii: "v"), nil, nil)
            case 0x20...0x7E: escaped = (b, nil, nil, nil)
            default: escaped = (0x5C, UInt8(ascii: "x"), hex[Int(b >> 4)], hex[Int(b & 15)])
            }
            let size = escaped.3 != nil ? 4 : escaped.1 != nil ? 2 : 1
            guard out.count + size <= cap else { return false }
            out.append(escaped.0)
            if let second = escaped.1 { out.append(second) }
            if let third = escaped.2 { out.append(third) }
            if let fourth = escaped.3 { out.append(fourth) }
            return true
        }
        scalars: for scalar in text.unicodeScalars {
            if scalar.value <= 0xFF {
                if !append(UInt8(scalar.value)) {
                    truncated = true
                    break scalars
                }
            } else {
                for b in String(scalar).utf8 where !append(b) {
                    truncated = true
                    break scalars
                }
            }
        }
        if truncated { out += Array("...[truncated, \(text.utf8.count) bytes]".utf8) }
        return String(decoding: out, as: UTF8.self)
    }
}
